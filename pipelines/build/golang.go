package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/paved-dev/paved/pipelines/failure"
)

// AppDir is where a Go service's binary and extra files go in the image.
const AppDir = "/app"

// goBuilder builds a Go service ko-style: the local toolchain compiles a
// static binary per platform and it becomes one layer on the base image.
type goBuilder struct {
	dir string
	o   *Options
}

// Go returns a Builder for the Go service whose module lives in dir. The main
// package (WithMain, default ".") is compiled with CGO_ENABLED=0 and
// -trimpath for each platform and layered onto WithBase's image.
func Go(dir string, opts ...Option) Builder {
	return &goBuilder{dir: dir, o: newOptions(opts)}
}

// ErrNoBase is returned (wrapped, as bad input) when a Go build has no base
// image.
var ErrNoBase = errors.New("no base image")

// Build compiles and assembles the image.
func (g *goBuilder) Build(ctx context.Context) (*Result, error) {
	if g.o.Base == "" {
		return nil, failure.BadInputErr(fmt.Errorf("%w for the Go service: set build.base in paved.yaml", ErrNoBase))
	}
	if _, err := os.Stat(filepath.Join(g.dir, "go.mod")); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading Go service %q: no go.mod there: point at the module's directory", g.dir))
	}
	extra, err := g.extraFiles()
	if err != nil {
		return nil, err
	}
	r := newResolver(g.o)
	timings := map[string]float64{}
	var imgs []v1.Image
	for _, p := range g.o.Platforms {
		baseImg, err := r.image(ctx, g.o.Base, p)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		bin, err := g.compile(ctx, p)
		if err != nil {
			return nil, err
		}
		timings["compile"] += time.Since(start).Seconds()
		start = time.Now()
		img, err := g.assemble(baseImg, bin, extra)
		if err != nil {
			return nil, err
		}
		img, err = finish(img, g.o, r.first())
		if err != nil {
			return nil, err
		}
		// Compute the digest now so layer compression counts as layer time.
		if _, err := img.Digest(); err != nil {
			return nil, fmt.Errorf("hashing image for %s: %w", p.String(), err)
		}
		timings["layer"] += time.Since(start).Seconds()
		imgs = append(imgs, img)
	}
	res := result(imgs, g.o.Platforms, g.o, r, r.first())
	res.Timings = timings
	return res, nil
}

// binaryName is the name of the service's binary: the main package's
// directory name, or the module directory's for ".".
func (g *goBuilder) binaryName() string {
	p := strings.TrimSuffix(g.o.Main, "/")
	if p == "." || p == "" {
		abs, err := filepath.Abs(g.dir)
		if err != nil {
			return "app"
		}
		return filepath.Base(abs)
	}
	return path.Base(p)
}

// compile runs go build for p and returns the binary.
func (g *goBuilder) compile(ctx context.Context, p v1.Platform) ([]byte, error) {
	out, release, err := g.binSlot(p)
	if err != nil {
		return nil, err
	}
	defer release()
	bin := filepath.Join(out, "app")
	ldflags := append([]string{"-s", "-w"}, g.o.Ldflags...)
	if g.o.VersionVar != "" {
		ldflags = append(ldflags, fmt.Sprintf("-X %s=%s", g.o.VersionVar, g.o.Version))
	}
	main := g.o.Main
	if !strings.HasPrefix(main, ".") && !strings.Contains(main, ".") {
		main = "./" + main
	}
	cmd := exec.CommandContext(ctx, g.o.GoBinary, "build", "-trimpath", "-buildvcs=false",
		"-ldflags", strings.Join(ldflags, " "), "-o", bin, main)
	cmd.Dir = g.dir
	// The go command inherits this process's environment (exec's default)
	// with GOEXPERIMENT emptied, which the go command reads as unset: paved
	// itself is built with an experiment the service did not ask for. The
	// build's own settings come after, so they win.
	cmd.Env = append(append(cmd.Environ(), "GOEXPERIMENT="), g.o.GoEnv...)
	cmd.Env = append(cmd.Env, "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	if p.Architecture == "arm" && strings.HasPrefix(p.Variant, "v") {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, failure.BadInputErr(fmt.Errorf("compiling %s for %s in %q: %w: %s", g.o.Main, p.String(), g.dir, err, tail(stderr.String(), 20)))
	}
	return os.ReadFile(bin)
}

// assemble adds the binary and extra files as one layer and sets the config.
func (g *goBuilder) assemble(base v1.Image, bin []byte, extra []File) (v1.Image, error) {
	binPath := path.Join(AppDir, g.binaryName())
	files := append([]File{{Path: binPath, Mode: 0o755, Data: bin}}, extra...)
	layer, err := Layer(files, g.o.Created)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: g.o.Created},
			CreatedBy: "paved build (go): " + binPath,
			Comment:   "paved",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the binary layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading base image config: %w", err)
	}
	c := cfg.Config.DeepCopy()
	c.Entrypoint = []string{binPath}
	c.Cmd = nil
	c.User = g.o.User
	c.WorkingDir = g.o.WorkDir
	c.Env = mergeEnv(c.Env, g.o.Env)
	c.Labels = merge(c.Labels, g.o.Labels)
	return mutate.Config(img, *c)
}

// extraFiles reads the extra files, refusing any that escape the service
// dir. A directory brings its whole tree (templates/, static/), each file
// below dst as below src.
func (g *goBuilder) extraFiles() ([]File, error) {
	var files []File
	for _, ef := range g.o.ExtraFiles {
		src, err := insideDir(g.dir, ef.Src)
		if err != nil {
			return nil, err
		}
		dst := ef.Dst
		if dst == "" {
			dst = path.Join(AppDir, filepath.ToSlash(ef.Src))
		} else if !path.IsAbs(dst) {
			dst = path.Join(AppDir, dst)
		}
		tree, err := g.extraTree(ef.Src, src, dst)
		if err != nil {
			return nil, err
		}
		files = append(files, tree...)
	}
	return files, nil
}

// extraTree reads the file or directory tree src (rel as written) into
// layer files at dst. Links are followed when they stay in the service
// dir, as insideDir checks.
func (g *goBuilder) extraTree(rel, src, dst string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub, _ := filepath.Rel(src, p)
		at := path.Join(dst, filepath.ToSlash(sub))
		if d.IsDir() {
			files = append(files, File{Path: at, Dir: true, Mode: 0o755})
			return nil
		}
		real, err := insideDir(g.dir, filepath.Join(rel, sub))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(real)
		if err != nil {
			return err
		}
		files = append(files, File{Path: at, Mode: 0o644, Data: data})
		return nil
	})
	if err != nil && failure.KindOf(err) == failure.Internal {
		err = failure.BadInputErr(fmt.Errorf("reading extra file %q: %w", rel, err))
	}
	return files, err
}

// mergeEnv sets each KEY=VALUE of add in env, replacing an existing KEY.
func mergeEnv(env, add []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range add {
		key, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, e := range out {
			if k, _, _ := strings.Cut(e, "="); k == key {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
