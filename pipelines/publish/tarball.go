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
// (temporary file, then rename). tag names the image inside the archive.
func Tarball(path, tag string) Publisher { return &tarballPublisher{path: path, tag: tag} }

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
