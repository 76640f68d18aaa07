package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/paved-dev/paved/pipelines/failure"
)

type tarballPublisher struct {
	path string
	tag  string
}

// Tarball writes a single-platform image as a docker-archive tarball at path
// (temporary file, then rename). tag names the image inside the archive. A
// path that is a directory, in a directory that does not exist, or a tag
// that does not parse is refused here, before anything is built.
func Tarball(path, tag string) (Publisher, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, failure.BadInputErr(fmt.Errorf("writing image tarball %q: it is a directory: give a file name", path))
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return nil, failure.BadInputErr(fmt.Errorf("writing image tarball %q: directory %q does not exist: create it or pick another path", path, filepath.Dir(path)))
	}
	if _, err := name.NewTag(tag); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing tarball tag %q: %w", tag, err))
	}
	return &tarballPublisher{path: path, tag: tag}, nil
}

func (p *tarballPublisher) Publish(_ context.Context, a Artifact) (string, error) {
	if a.Image == nil {
		return "", failure.BadInputErr(errors.New("an image tarball holds one platform: build one platform or write an OCI layout instead"))
	}
	tag, err := name.NewTag(p.tag)
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("parsing tarball tag %q: %w", p.tag, err))
	}
	f, err := os.CreateTemp(filepath.Dir(p.path), ".paved-tarball-")
	if err != nil {
		return "", fmt.Errorf("writing image tarball %q: %w", p.path, err)
	}
	defer os.Remove(f.Name())
	if err := tarball.Write(tag, a.Image, f); err != nil {
		f.Close()
		return "", fmt.Errorf("writing image tarball %q: %w", p.path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing image tarball %q: %w", p.path, err)
	}
	if err := os.Rename(f.Name(), p.path); err != nil {
		return "", fmt.Errorf("writing image tarball %q: %w", p.path, err)
	}
	return p.path, nil
}
