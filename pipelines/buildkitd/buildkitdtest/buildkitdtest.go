// Package buildkitdtest starts a real buildkitd for tests and makes a
// small base image with a shell for their RUN steps. On a fresh machine it
// installs what it needs through hack/buildkit/install.sh (BuildKit built
// from the Go module proxy, cached; runc from Debian), so tests that use it
// fail loudly instead of skipping when BuildKit cannot run.
package buildkitdtest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/pipelines/buildkitd"
)

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// Install runs hack/buildkit/install.sh once per test binary and returns
// the directory holding buildkitd.
func Install() (string, error) {
	installOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		script := filepath.Join(filepath.Dir(file), "..", "..", "..", "hack", "buildkit", "install.sh")
		var stderr bytes.Buffer
		cmd := exec.Command(script)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			installErr = fmt.Errorf("running %s: %w\n%s", script, err, stderr.String())
			return
		}
		installDir = strings.TrimSpace(string(out))
	})
	return installDir, installErr
}

// Start starts a buildkitd with its state in a fresh temporary directory
// and stops it when the test ends. It fails the test if BuildKit cannot
// run here.
func Start(tb testing.TB) *buildkitd.Daemon {
	tb.Helper()
	dir, err := Install()
	if err != nil {
		tb.Fatalf("installing BuildKit: %v", err)
	}
	root, err := os.MkdirTemp("", "paved-buildkitd-")
	if err != nil {
		tb.Fatal(err)
	}
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := buildkitd.Start(ctx, buildkitd.Config{Binary: filepath.Join(dir, "buildkitd"), Root: root, Log: &syncWriter{w: &log}})
	if err != nil {
		tb.Fatalf("starting buildkitd: %v\n%s", err, log.String())
	}
	tb.Cleanup(func() {
		_ = d.Stop()
		_ = os.RemoveAll(root)
	})
	return d
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// ShellBase returns a one-layer OCI image holding this machine's dash as
// /bin/sh and the libraries it links, enough for RUN steps that use shell
// built-ins (echo, read, printf, test, exit, redirections). It is built
// from files on disk, so it needs no registry or network.
func ShellBase() (v1.Image, error) {
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		return nil, fmt.Errorf("finding /bin/sh: %w", err)
	}
	files := map[string]string{"bin/sh": sh}
	out, err := exec.Command("ldd", sh).Output()
	if err != nil {
		return nil, fmt.Errorf("listing the libraries of %s: %w", sh, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "/") {
				files[strings.TrimPrefix(f, "/")] = f
			}
		}
	}
	data, err := tarOf(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "buildkitdtest shell base", Created: v1.Time{Time: time.Unix(0, 0)}}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Env = []string{"PATH=/bin"}
	return mutate.ConfigFile(img, cf)
}

// tarOf writes files (image path -> file on disk) and their directories,
// plus /tmp, /etc and /run, with fixed times.
func tarOf(files map[string]string) ([]byte, error) {
	dirs := map[string]bool{"tmp": true, "etc": true, "run": true}
	for dst := range files {
		for d := filepath.Dir(dst); d != "."; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range sortedKeys(dirs) {
		mode := int64(0o755)
		if d == "tmp" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: mode, ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
	}
	for _, dst := range sortedKeys(files) {
		data, err := os.ReadFile(files[dst])
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Name: dst, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
