package runner

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
)

// FixtureHost is the registry host the GitOps fixture (examples/gitops)
// names images by; the run's registry address replaces it.
const FixtureHost = "paved.local"

// Infra is what one run talks to, shared with nothing else: paved's
// embedded registry on a free loopback port and a local bare GitOps remote.
type Infra struct {
	// Registry is the registry's HOST:PORT.
	Registry string
	// GitOps is the bare GitOps remote and GitOpsSeed its first commit,
	// once SeedGitOps ran.
	GitOps, GitOpsSeed string
	stop               context.CancelFunc
	done               chan error
}

// StartInfra serves paved's embedded registry, its blobs under dir, on a
// free loopback port until Close.
func StartInfra(ctx context.Context, dir string) (*Infra, error) {
	return StartInfraOn(ctx, dir, "127.0.0.1:0")
}

// StartInfraOn is StartInfra with the registry on addr (host:port), so
// that runs one after the other can name the same registry.
func StartInfraOn(ctx context.Context, dir, addr string) (*Infra, error) {
	h, err := registry.Handler(dir)
	if err != nil {
		return nil, err
	}
	l, err := registry.Listen(addr)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	in := &Infra{Registry: l.Addr().(*net.TCPAddr).String(), stop: stop, done: make(chan error, 1)}
	go func() { in.done <- registry.Serve(ctx, l, h) }()
	return in, nil
}

// FreeAddr is a loopback address with a port free now, for StartInfraOn.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Close stops the registry.
func (in *Infra) Close() {
	in.stop()
	// The run is over: how the registry stopped changes no result.
	<-in.done
}

// PushLayout pushes the first manifest of the OCI layout in dir (an image
// or an index) to the registry as REGISTRY/image.
func (in *Infra) PushLayout(ctx context.Context, dir, image string) error {
	ref, err := name.ParseReference(in.Registry+"/"+image, name.Insecure)
	if err != nil {
		return fmt.Errorf("parsing image %q: %w", image, err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return fmt.Errorf("pushing %q from %q: %w", image, dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return fmt.Errorf("pushing %q from %q: %w", image, dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return fmt.Errorf("pushing %q from %q: %w", image, dir, err)
	}
	if len(m.Manifests) == 0 {
		return fmt.Errorf("pushing %q from %q: %w", image, dir, errors.New("the layout holds no image"))
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

// SeedGitOps makes the run's GitOps remote (dir/gitops.git, bare, branch
// main) from the fixture directory, with FixtureHost replaced by the
// registry's address and the public key under keys/, as the demo does.
func (in *Infra) SeedGitOps(ctx context.Context, fixture, pubKey, dir string) error {
	work, bare := filepath.Join(dir, "gitops-seed"), filepath.Join(dir, "gitops.git")
	if err := os.CopyFS(work, os.DirFS(fixture)); err != nil {
		return fmt.Errorf("copying GitOps fixture %q: %w", fixture, err)
	}
	err := filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(data), FixtureHost) {
			return err
		}
		return os.WriteFile(p, []byte(strings.ReplaceAll(string(data), FixtureHost, in.Registry)), 0o644)
	})
	if err != nil {
		return fmt.Errorf("pointing GitOps fixture %q at %s: %w", fixture, in.Registry, err)
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
		if out, err := git(ctx, ".", args...); err != nil {
			return fmt.Errorf("seeding GitOps remote %q: %w: %s", bare, err, out)
		}
	}
	seed, err := git(ctx, bare, "rev-parse", "main")
	if err != nil {
		return fmt.Errorf("seeding GitOps remote %q: %w", bare, err)
	}
	in.GitOps, in.GitOpsSeed = bare, seed
	return nil
}
