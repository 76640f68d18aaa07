package sbom

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// Kind is where a Source reads its image from.
type Kind string

const (
	// KindRegistry is an image in a registry, by tag or digest.
	KindRegistry Kind = "registry"
	// KindLayout is an OCI image layout directory holding one image (or one
	// multi-platform index).
	KindLayout Kind = "oci-layout"
	// KindTarball is a `docker save` tarball holding one image.
	KindTarball Kind = "docker-archive"
	// KindImage is an image already in memory.
	KindImage Kind = "image"
)

// Source is an image to catalog. Build one with Registry, Layout, Tarball,
// Image or ParseSource.
type Source struct {
	kind Kind
	loc  string   // reference, directory or file
	img  v1.Image // KindImage only
}

// Registry is the image at ref (REPO:tag or REPO@sha256:...) in a registry.
func Registry(ref string) Source { return Source{kind: KindRegistry, loc: ref} }

// Layout is the image in the OCI image layout directory dir.
func Layout(dir string) Source { return Source{kind: KindLayout, loc: dir} }

// Tarball is the image in the docker save tarball at path.
func Tarball(path string) Source { return Source{kind: KindTarball, loc: path} }

// Image is an image already in memory, e.g. one just built or pulled. ref
// names it in the SBOM (a repository, a REPO@sha256:... reference, or
// empty); the digest is always the image's own.
func Image(img v1.Image, ref string) Source { return Source{kind: KindImage, loc: ref, img: img} }

// Kind returns where the source reads its image from.
func (s Source) Kind() Kind { return s.kind }

// String returns the source in the form ParseSource reads.
func (s Source) String() string {
	switch s.kind {
	case KindRegistry:
		return s.loc
	case KindImage:
		if s.loc == "" {
			return "image in memory"
		}
		return s.loc
	}
	return string(s.kind) + ":" + s.loc
}

// ErrEmptySource is returned (as bad input) by ParseSource for an empty string.
var ErrEmptySource = errors.New("no image given")

// ParseSource reads an image argument of the CLI:
//
//	REPO@sha256:...  REPO:tag  registry:REF   an image in a registry
//	oci-layout:DIR   oci-dir:DIR   DIR        an OCI image layout directory
//	docker-archive:FILE   FILE.tar   FILE     a docker save tarball
//
// Without a prefix, an existing directory is a layout, an existing file or
// a path ending in .tar is a tarball, and anything else is a registry
// reference.
func ParseSource(arg string) (Source, error) {
	if strings.TrimSpace(arg) == "" {
		return Source{}, failure.BadInputErr(fmt.Errorf("parsing image %q: %w", arg, ErrEmptySource))
	}
	prefixes := []struct {
		prefix string
		kind   Kind
	}{
		{"oci-layout:", KindLayout}, {"oci-dir:", KindLayout},
		{"docker-archive:", KindTarball}, {"registry:", KindRegistry},
	}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(arg, p.prefix); ok {
			if rest == "" {
				return Source{}, failure.BadInputErr(fmt.Errorf("parsing image %q: %w after %q", arg, ErrEmptySource, p.prefix))
			}
			if p.kind == KindRegistry {
				return parseRegistry(rest)
			}
			return Source{kind: p.kind, loc: rest}, nil
		}
	}
	if fi, err := os.Stat(arg); err == nil {
		if fi.IsDir() {
			return Layout(arg), nil
		}
		return Tarball(arg), nil
	}
	if strings.HasSuffix(arg, ".tar") {
		return Tarball(arg), nil
	}
	if strings.HasPrefix(arg, ".") || filepath.IsAbs(arg) {
		return Source{}, failure.BadInputErr(fmt.Errorf("reading image %q: %w", arg, os.ErrNotExist))
	}
	return parseRegistry(arg)
}

func parseRegistry(ref string) (Source, error) {
	if _, err := oci.ParseRef(ref); err != nil {
		return Source{}, err
	}
	return Registry(ref), nil
}
