package candidate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/paved-dev/paved/pipelines/registry"
	"github.com/paved-dev/paved/release/apps"
)

// fixtureHost is the registry host the GitOps fixture names images by;
// each run's registry address replaces it.
const fixtureHost = "paved.local"

// isolated is one run's registry and GitOps remote: nothing is shared
// between runs.
type isolated struct {
	addr   string
	stop   context.CancelFunc
	done   chan error
	gitops string
	seed   string
}

// startRegistry serves paved's embedded registry, its blobs under dir,
// on a free loopback port.
func startRegistry(ctx context.Context, dir string) (*isolated, error) {
	h, err := registry.Handler(dir)
	if err != nil {
		return nil, err
	}
	l, err := registry.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	env := &isolated{addr: l.Addr().(*net.TCPAddr).String(), stop: stop, done: make(chan error, 1)}
	go func() { env.done <- registry.Serve(ctx, l, h) }()
	return env, nil
}

// close stops the registry.
func (e *isolated) close() {
	e.stop()
	// The run is over: how the registry stopped changes no result.
	<-e.done
}

// pushBases pushes each base's OCI layout (basesDir/LAYOUT) to the run's
// registry as REGISTRY/IMAGE.
func (e *isolated) pushBases(ctx context.Context, bases []apps.Base, basesDir string) error {
	for _, b := range bases {
		dir := filepath.Join(basesDir, b.Layout)
		ref, err := name.ParseReference(e.addr+"/"+b.Image, name.Insecure)
		if err != nil {
			return fmt.Errorf("parsing base %q: %w", b.Image, err)
		}
		if err := pushLayout(ctx, dir, ref); err != nil {
			return fmt.Errorf("pushing base %q from %q: %w", b.Image, dir, err)
		}
	}
	return nil
}

// pushLayout pushes the first manifest of an OCI layout: an image or an
// index.
func pushLayout(ctx context.Context, dir string, ref name.Reference) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		return err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) == 0 {
		return errors.New("the layout holds no image")
	}
	d := m.Manifests[0]
	if d.MediaType.IsIndex() {
		child, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return err
		}
		return remote.WriteIndex(ref, child, remote.WithContext(ctx))
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return err
	}
	return remote.Write(ref, img, remote.WithContext(ctx))
}

// seedGitOps makes the run's GitOps remote (bare, branch main) from the
// exported fixture, with the fixture's registry host replaced by the run's
// and the public key under keys/, as the demo does.
func (e *isolated) seedGitOps(ctx context.Context, fixture, pubKey, dir string) error {
	work, bare := filepath.Join(dir, "gitops-seed"), filepath.Join(dir, "gitops.git")
	if err := os.CopyFS(work, os.DirFS(fixture)); err != nil {
		return fmt.Errorf("copying GitOps fixture %q: %w", fixture, err)
	}
	err := filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(data), fixtureHost) {
			return err
		}
		return os.WriteFile(p, []byte(strings.ReplaceAll(string(data), fixtureHost, e.addr)), 0o644)
	})
	if err != nil {
		return fmt.Errorf("pointing GitOps fixture %q at %s: %w", fixture, e.addr, err)
	}
	if pub, err := os.ReadFile(pubKey); err == nil {
		if err := os.MkdirAll(filepath.Join(work, "keys"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(work, "keys", "cosign.pub"), pub, 0o644); err != nil {
			return err
		}
	}
	steps := [][]string{
		{"init", "-q", "-b", "main", work},
		{"-C", work, "add", "-A"},
		{"-C", work, "-c", "user.name=paved release", "-c", "user.email=release@paved.invalid", "commit", "-q", "-m", "seed the reference apps' GitOps repository"},
		{"init", "-q", "--bare", "-b", "main", bare},
		{"-C", work, "push", "-q", bare, "main"},
	}
	for _, args := range steps {
		if _, err := git(ctx, ".", args...); err != nil {
			return fmt.Errorf("seeding GitOps remote %q: %w", bare, err)
		}
	}
	seed, err := git(ctx, bare, "rev-parse", "main")
	if err != nil {
		return fmt.Errorf("seeding GitOps remote %q: %w", bare, err)
	}
	e.gitops, e.seed = bare, seed
	return nil
}
