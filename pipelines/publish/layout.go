package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/paved-dev/paved/pipelines/failure"
)

type layoutPublisher struct{ dir string }

// Layout writes into the OCI image layout directory dir. A new directory is
// written beside dir and renamed into place, so a failure leaves nothing; an
// existing layout gets the artifact appended. A dir that is a file, or a
// directory that holds something else, is refused here, before anything is
// built.
func Layout(dir string) (Publisher, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, failure.BadInputErr(fmt.Errorf("writing OCI layout %q: it is a file: give a directory (new, empty or an OCI layout)", dir))
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			return nil, failure.BadInputErr(fmt.Errorf("writing OCI layout %q: the directory is not empty and not an OCI layout: pick a new directory", dir))
		}
	}
	return &layoutPublisher{dir: dir}, nil
}

func (p *layoutPublisher) Publish(_ context.Context, a Artifact) (string, error) {
	if _, err := os.Stat(filepath.Join(p.dir, "index.json")); err == nil {
		path, err := layout.FromPath(p.dir)
		if err != nil {
			return "", failure.BadInputErr(fmt.Errorf("opening OCI layout %q: %w", p.dir, err))
		}
		return p.dir, p.append(path, a)
	} else if entries, err := os.ReadDir(p.dir); err == nil && len(entries) > 0 {
		return "", failure.BadInputErr(fmt.Errorf("writing OCI layout %q: the directory is not empty and not an OCI layout: pick a new directory", p.dir))
	} else if st, err := os.Stat(p.dir); err == nil && !st.IsDir() {
		return "", failure.BadInputErr(fmt.Errorf("writing OCI layout %q: it is a file: give a directory (new, empty or an OCI layout)", p.dir))
	}
	parent := filepath.Dir(filepath.Clean(p.dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("creating %q: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".paved-layout-")
	if err != nil {
		return "", fmt.Errorf("writing OCI layout %q: %w", p.dir, err)
	}
	defer os.RemoveAll(tmp)
	path, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return "", fmt.Errorf("writing OCI layout %q: %w", p.dir, err)
	}
	if err := p.append(path, a); err != nil {
		return "", err
	}
	if err := os.Remove(p.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("writing OCI layout %q: %w", p.dir, err)
	}
	if err := os.Rename(tmp, p.dir); err != nil {
		return "", fmt.Errorf("writing OCI layout %q: %w", p.dir, err)
	}
	return p.dir, nil
}

func (p *layoutPublisher) append(path layout.Path, a Artifact) error {
	var err error
	if a.Index != nil {
		err = path.AppendIndex(a.Index)
	} else {
		err = path.AppendImage(a.Image)
	}
	if err != nil {
		return fmt.Errorf("writing OCI layout %q: %w", p.dir, err)
	}
	return nil
}
