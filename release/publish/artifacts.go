package publish

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	imgpublish "github.com/paved-dev/paved/pipelines/publish"
)

// staticBase assembles the static base (CA certificates, time zones,
// passwd) from the Debian packages under o.DebianRoot for every platform,
// pushes it as an index to o.BaseRepository and returns it by digest.
func (p *publisher) staticBase(ctx context.Context) (string, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pl := range p.o.Platforms {
		img, err := base.Static(p.o.DebianRoot, base.Config{Platform: pl, Created: p.created})
		if err != nil {
			return "", err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pl}})
	}
	pub, err := imgpublish.Registry(p.o.BaseRepository, nil, p.o.Keychain, p.o.Transport)
	if err != nil {
		return "", err
	}
	res, err := imgpublish.All(ctx, imgpublish.Artifact{Index: idx}, pub)
	if err != nil {
		return "", err
	}
	return res.Reference, nil
}

// build compiles o.Main for every platform onto baseRef, as `paved build`
// does for a Go service (CGO_ENABLED=0, -trimpath, -buildvcs=false), with
// the version stamped into o.VersionVar. It builds an export of HEAD's tree,
// not the work tree, so that an ignored or excluded file cannot slip in.
func (p *publisher) build(ctx context.Context, baseRef string) (*build.Result, error) {
	opts := []build.Option{
		build.WithBase(baseRef),
		build.WithMain(p.o.Main),
		build.WithPlatforms(p.o.Platforms...),
		build.WithVersion(p.o.VersionVar, p.version),
		build.WithGoEnv(p.o.GoEnv...),
		build.WithCreated(p.created),
		build.WithKeychain(p.o.Keychain),
		build.WithTransport(p.o.Transport),
	}
	ann := map[string]string{oci.AnnotationRevision: p.head.Hash.String(), oci.AnnotationVersion: p.version}
	if p.o.SourceURL != "" {
		ann[oci.AnnotationSource] = p.o.SourceURL
	}
	opts = append(opts, build.WithAnnotations(ann))
	src, err := os.MkdirTemp("", "paved-release-src-")
	if err != nil {
		return nil, fmt.Errorf("creating the source export directory: %w", err)
	}
	defer os.RemoveAll(src)
	if err := exportTree(p.head, src); err != nil {
		return nil, err
	}
	res, err := build.Go(src, opts...).Build(ctx)
	if err != nil {
		return nil, err
	}
	if res.Index == nil {
		// One platform: still publish an index, so the release always has
		// the same shape.
		pl := p.o.Platforms[0]
		res.Index = mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
			mutate.IndexAddendum{Add: res.Image, Descriptor: v1.Descriptor{Platform: &pl}})
		res.Image = nil
	}
	return res, nil
}

// push pushes the index by digest only: the version tag comes after the
// release verified (see tagImage).
func (p *publisher) push(ctx context.Context, idx v1.ImageIndex) (*imgpublish.Result, error) {
	pub, err := imgpublish.Registry(p.o.Repository, nil, p.o.Keychain, p.o.Transport)
	if err != nil {
		return nil, err
	}
	return imgpublish.All(ctx, imgpublish.Artifact{Index: idx}, pub)
}

// checkImageTag refuses a version tag in the registry that points at
// another digest than index: a version names one image. It reports whether
// the tag already points at index (a rerun after a later step failed).
func (p *publisher) checkImageTag(ctx context.Context, index name.Digest) (bool, error) {
	tag := index.Context().Tag(p.version)
	desc, err := remote.Head(tag, oci.Remote(ctx, p.o.Keychain, p.o.Transport)...)
	var terr *transport.Error
	switch {
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		return false, nil
	case err != nil:
		return false, oci.Classify(fmt.Errorf("reading tag %s: %w", tag, err))
	case desc.Digest.String() == index.DigestStr():
		return true, nil
	}
	return false, failure.BadInputErr(fmt.Errorf("registry tag %s already points at %s, not at the release %s: a version names one image; release the next version",
		tag, desc.Digest, index.DigestStr()))
}

// tagImage points the version tag at the verified index.
func (p *publisher) tagImage(ctx context.Context, index name.Digest, idx v1.ImageIndex) error {
	tag := index.Context().Tag(p.version)
	if err := remote.Tag(tag, idx, oci.Remote(ctx, p.o.Keychain, p.o.Transport)...); err != nil {
		return oci.Classify(fmt.Errorf("tagging %s as %s: %w", index, tag, err))
	}
	return nil
}

// platformImages returns the index's images in platform order.
func platformImages(idx v1.ImageIndex) ([]v1.Descriptor, []v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the release index: %w", err)
	}
	var imgs []v1.Image
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the release image for %s: %w", d.Platform, err)
		}
		imgs = append(imgs, img)
	}
	return im.Manifests, imgs, nil
}

// binary reads the entrypoint binary out of img's top layer.
func binary(img v1.Image) (string, []byte, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", nil, fmt.Errorf("reading image config: %w", err)
	}
	if len(cfg.Config.Entrypoint) == 0 {
		return "", nil, fmt.Errorf("the release image has no entrypoint")
	}
	want := strings.TrimPrefix(cfg.Config.Entrypoint[0], "/")
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		return "", nil, fmt.Errorf("reading image layers: %v", err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		return "", nil, fmt.Errorf("reading the binary layer: %w", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			return "", nil, fmt.Errorf("finding %s in the binary layer: %w", want, err)
		}
		if strings.TrimPrefix(path.Clean(h.Name), "/") == want {
			data, err := io.ReadAll(tr)
			return path.Base(want), data, err
		}
	}
}
