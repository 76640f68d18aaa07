package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// loadImage resolves src to an image without a container daemon: an OCI
// layout directory (a directory with an oci-layout file), a docker-save
// tarball (a regular file), or else a registry reference. The prefixes
// oci-layout:, oci-dir:, docker-archive: and registry: (as paved sbom
// takes them) say which.
func loadImage(ctx context.Context, src string, o options) (v1.Image, error) {
	kind, loc := splitSource(src)
	if kind == "registry" {
		return pullImage(ctx, loc, o)
	}
	fi, statErr := os.Stat(loc)
	src = loc
	switch {
	case kind != "" && statErr != nil:
		return nil, failure.BadInputErr(fmt.Errorf("reading image %q: %w", src, statErr))
	case kind == "layout":
		return layoutImage(src)
	case statErr == nil && fi.IsDir():
		return layoutImage(src)
	case statErr == nil:
		img, err := tarball.ImageFromPath(src, nil)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading image tarball %q: %w", src, err))
		}
		return img, nil
	}
	return pullImage(ctx, src, o)
}

func splitSource(src string) (kind, loc string) {
	for prefix, k := range map[string]string{"oci-layout:": "layout", "oci-dir:": "layout", "docker-archive:": "tarball", "registry:": "registry"} {
		if rest, ok := strings.CutPrefix(src, prefix); ok {
			return k, rest
		}
	}
	return "", src
}

// pullImage reads an image from a registry with the given keychain and
// transport; nothing else of Trivy's touches the network.
func pullImage(ctx context.Context, src string, o options) (v1.Image, error) {
	ref, err := oci.ParseRef(src)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("image %q is neither a file, an OCI layout directory nor a valid reference: %w", src, err))
	}
	img, err := remote.Image(ref, append(oci.Remote(ctx, o.keychain, o.transport), remote.WithPlatform(hostPlatform()))...)
	if err != nil {
		return nil, oci.Classify(fmt.Errorf("pulling image %q: %w", src, err))
	}
	return img, nil
}

// layoutImage returns the image of an OCI layout: the only one, or the one
// for linux and the host's architecture.
func layoutImage(dir string) (v1.Image, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: not an OCI layout directory (no oci-layout file)", dir))
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: %w", dir, err))
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: %w", dir, err))
	}
	img, err := pickImage(idx, hostPlatform())
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: %w", dir, err))
	}
	return img, nil
}

// pickImage walks an index (and nested indexes) for the image to scan.
func pickImage(idx v1.ImageIndex, want v1.Platform) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var images []v1.Descriptor
	for _, d := range m.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			return pickImage(child, want)
		case d.MediaType.IsImage():
			if len(m.Manifests) == 1 || d.Platform == nil || d.Platform.Satisfies(want) {
				images = append(images, d)
			}
		}
	}
	if len(images) == 0 {
		return nil, errors.New("no image for " + want.String())
	}
	return idx.Image(images[0].Digest)
}

func hostPlatform() v1.Platform { return v1.Platform{OS: "linux", Architecture: runtime.GOARCH} }

// trivyImage gives a v1.Image the extra methods Trivy's image artifact
// wants.
type trivyImage struct {
	v1.Image
	name   string
	digest string
	repo   string
}

func (i trivyImage) Name() string { return i.name }

func (i trivyImage) ID() (string, error) {
	h, err := i.ConfigName()
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func (i trivyImage) RepoTags() []string { return nil }

func (i trivyImage) RepoDigests() []string {
	if i.repo == "" {
		return nil
	}
	return []string{i.repo + "@" + i.digest}
}
