package sbom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// loadedImage is a source's image with what the SBOM says about it.
type loadedImage struct {
	src       Source
	img       v1.Image
	digest    v1.Hash
	reference string // REPO@sha256:... when there is a repository, else a name
	tag       string // the tag the user gave, if any
	remote    bool
}

// load resolves s to an image. Nothing is read beyond the manifest and
// config; layers are read by read.
func (s Source) load(ctx context.Context, o options) (*loadedImage, error) {
	var (
		img v1.Image
		err error
	)
	l := &loadedImage{src: s}
	switch s.kind {
	case KindRegistry:
		img, err = l.fromRegistry(ctx, o)
	case KindLayout:
		img, err = l.fromLayout(o)
	case KindTarball:
		img, err = l.fromTarball()
	case KindImage:
		img, err = l.fromMemory()
	default:
		return nil, failure.BadInputErr(fmt.Errorf("reading image: no source given"))
	}
	if err != nil {
		return nil, err
	}
	if l.digest, err = img.Digest(); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading manifest of %q: %w", s, err))
	}
	if l.img, err = verified(img); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading image %q: %w", s, err))
	}
	if l.reference == "" {
		l.reference = l.digest.String()
	}
	return l, nil
}

func (l *loadedImage) fromRegistry(ctx context.Context, o options) (v1.Image, error) {
	ref, err := oci.ParseRef(l.src.loc)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(ref, append(oci.Remote(ctx, o.keychain, o.transport), remote.WithPlatform(o.platform))...)
	if err != nil {
		return nil, registryErr(fmt.Errorf("fetching image %q: %w", ref, err))
	}
	d, err := img.Digest()
	if err != nil {
		return nil, registryErr(fmt.Errorf("fetching image %q: %w", ref, err))
	}
	if t, ok := ref.(name.Tag); ok {
		l.tag = t.String()
	}
	l.reference = ref.Context().Digest(d.String()).String()
	l.remote = true
	return img, nil
}

func (l *loadedImage) fromLayout(o options) (v1.Image, error) {
	dir := l.src.loc
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: not an OCI image layout directory (no index.json): %w", dir, err))
		}
		return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: %w", dir, err))
	}
	img, err := onlyImage(idx, o.platform)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading OCI layout %q: %w", dir, err))
	}
	l.reference = filepath.Base(filepath.Clean(dir))
	return img, nil
}

func (l *loadedImage) fromTarball() (v1.Image, error) {
	path := l.src.loc
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading image tarball %q: not a 'docker save' tarball of one image: %w", path, err))
	}
	if m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) }); err == nil && len(m) == 1 && len(m[0].RepoTags) > 0 {
		l.tag = m[0].RepoTags[0]
	}
	l.reference = filepath.Base(path)
	if l.tag != "" {
		l.reference = l.tag
	}
	return img, nil
}

func (l *loadedImage) fromMemory() (v1.Image, error) {
	if l.src.img == nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading image: nil image"))
	}
	if l.src.loc != "" {
		ref, err := oci.ParseRef(l.src.loc)
		if err != nil {
			return nil, err
		}
		d, err := l.src.img.Digest()
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading manifest of %q: %w", l.src.loc, err))
		}
		l.reference = ref.Context().Digest(d.String()).String()
	}
	return l.src.img, nil
}

// onlyImage returns the one image of a layout's index: the index must name
// one image, or one multi-platform index from which platform is chosen.
func onlyImage(idx v1.ImageIndex, platform v1.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	distinct := map[v1.Hash]bool{}
	for _, d := range im.Manifests {
		distinct[d.Digest] = true
	}
	if len(distinct) != 1 {
		return nil, fmt.Errorf("the layout holds %d images: give a layout that holds exactly one", len(distinct))
	}
	d := im.Manifests[0]
	switch {
	case d.MediaType.IsImage():
		return idx.Image(d.Digest)
	case d.MediaType.IsIndex():
		child, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return nil, err
		}
		return platformImage(child, platform)
	default:
		return nil, fmt.Errorf("manifest %s has media type %q: not an image", d.Digest, d.MediaType)
	}
}

// platformImage returns the image of idx for platform.
func platformImage(idx v1.ImageIndex, platform v1.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.MediaType.IsImage() && d.Platform != nil && d.Platform.Satisfies(platform) {
			return idx.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("no image for platform %s in the index", platform.String())
}

// read reads every layer of the image into stereoscope's file trees,
// caching uncompressed layers in a temporary directory that cleanup removes.
func (l *loadedImage) read() (*image.Image, func(), error) {
	gen := file.NewTempDirGenerator("paved-sbom")
	dir, err := gen.NewDirectory("layers")
	if err != nil {
		return nil, nil, fmt.Errorf("making a temporary directory: %w", err)
	}
	meta := []image.AdditionalMetadata{image.WithManifestDigest(l.digest.String())}
	if raw, err := l.img.RawManifest(); err == nil {
		meta = append(meta, image.WithManifest(raw))
	}
	if l.remote {
		meta = append(meta, image.WithRepoDigests(l.reference))
	}
	if l.tag != "" {
		meta = append(meta, image.WithTags(l.tag))
	}
	simg := image.New(l.img, gen, dir, meta...)
	if err := simg.Read(); err != nil {
		_ = simg.Cleanup()
		// A network failure while fetching a layer (from a registry source
		// or a remote image in memory) is transient; anything else means
		// the image is not what its manifest says.
		err = fmt.Errorf("reading layers of %q: %w", l.src, err)
		if c := registryErr(err); failure.KindOf(c) != failure.Internal {
			return nil, nil, c
		}
		return nil, nil, failure.BadInputErr(err)
	}
	return simg, func() { _ = simg.Cleanup() }, nil
}

// registryErr classifies a registry error; one the registry helpers
// cannot classify stays internal.
func registryErr(err error) error { return oci.Classify(err) }

// created is the document creation time: the option, else the image's
// creation time, else Unix time 0.
func (l *loadedImage) created(o options) time.Time {
	if !o.created.IsZero() {
		return o.created.UTC()
	}
	if cf, err := l.img.ConfigFile(); err == nil && !cf.Created.IsZero() {
		return cf.Created.UTC()
	}
	return time.Unix(0, 0).UTC()
}
