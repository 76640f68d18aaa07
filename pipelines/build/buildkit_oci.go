package build

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ociArchive is an OCI image layout tarball (BuildKit's oci exporter) read
// into memory: its index.json and its blobs by digest.
type ociArchive struct {
	index *v1.IndexManifest
	blobs map[v1.Hash][]byte
}

// readOCIArchive reads the tarball at file. Blobs are verified against
// their digests.
func readOCIArchive(file string) (*ociArchive, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading BuildKit's OCI export: %w", err)
	}
	defer f.Close()
	a := &ociArchive{blobs: map[v1.Hash][]byte{}}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading BuildKit's OCI export: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if err := a.add(path.Clean(hdr.Name), tr); err != nil {
			return nil, err
		}
	}
	if a.index == nil {
		return nil, errors.New("reading BuildKit's OCI export: no index.json")
	}
	return a, nil
}

func (a *ociArchive) add(name string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading %q of BuildKit's OCI export: %w", name, err)
	}
	switch {
	case name == "index.json":
		if a.index, err = v1.ParseIndexManifest(bytes.NewReader(data)); err != nil {
			return fmt.Errorf("parsing index.json of BuildKit's OCI export: %w", err)
		}
	case strings.HasPrefix(name, "blobs/"):
		h := v1.Hash{Algorithm: path.Base(path.Dir(name)), Hex: path.Base(name)}
		got, _, err := v1.SHA256(bytes.NewReader(data))
		if err != nil || (h.Algorithm == "sha256" && got != h) {
			return fmt.Errorf("reading %q of BuildKit's OCI export: digest mismatch", name)
		}
		a.blobs[h] = data
	}
	return nil
}

// image returns the one image the export holds.
func (a *ociArchive) image() (v1.Image, error) {
	if len(a.index.Manifests) != 1 || !a.index.Manifests[0].MediaType.IsImage() {
		return nil, fmt.Errorf("reading BuildKit's OCI export: want one image, got %d manifests", len(a.index.Manifests))
	}
	return a.imageAt(a.index.Manifests[0])
}

// images returns the export's image for each platform, in order.
func (a *ociArchive) images(ps []v1.Platform) ([]v1.Image, error) {
	if len(a.index.Manifests) != 1 || !a.index.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("reading BuildKit's OCI export: want one image index, got %d manifests", len(a.index.Manifests))
	}
	raw, ok := a.blobs[a.index.Manifests[0].Digest]
	if !ok {
		return nil, fmt.Errorf("reading BuildKit's OCI export: missing blob %s", a.index.Manifests[0].Digest)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing BuildKit's image index: %w", err)
	}
	out := make([]v1.Image, len(ps))
	for i, p := range ps {
		for _, d := range idx.Manifests {
			if d.Platform != nil && d.MediaType.IsImage() && d.Platform.Equals(p) {
				if out[i], err = a.imageAt(d); err != nil {
					return nil, err
				}
				break
			}
		}
		if out[i] == nil {
			return nil, fmt.Errorf("reading BuildKit's OCI export: no image for %s", p.String())
		}
	}
	return out, nil
}

func (a *ociArchive) imageAt(d v1.Descriptor) (v1.Image, error) {
	raw, ok := a.blobs[d.Digest]
	if !ok {
		return nil, fmt.Errorf("reading BuildKit's OCI export: missing manifest %s", d.Digest)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing BuildKit's image manifest: %w", err)
	}
	return partial.CompressedToImage(&memImage{a: a, raw: raw, m: m, mt: d.MediaType})
}

// memImage is an image whose blobs are in an ociArchive.
type memImage struct {
	a   *ociArchive
	raw []byte
	m   *v1.Manifest
	mt  types.MediaType
}

func (i *memImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *memImage) RawManifest() ([]byte, error)        { return i.raw, nil }

func (i *memImage) RawConfigFile() ([]byte, error) {
	b, ok := i.a.blobs[i.m.Config.Digest]
	if !ok {
		return nil, fmt.Errorf("reading BuildKit's OCI export: missing config %s", i.m.Config.Digest)
	}
	return b, nil
}

func (i *memImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range i.m.Layers {
		if l.Digest == h {
			b, ok := i.a.blobs[h]
			if !ok {
				return nil, fmt.Errorf("reading BuildKit's OCI export: missing layer %s", h)
			}
			return &memLayer{data: b, desc: l}, nil
		}
	}
	return nil, fmt.Errorf("reading BuildKit's OCI export: no layer %s in the manifest", h)
}

// memLayer is a compressed layer held in memory.
type memLayer struct {
	data []byte
	desc v1.Descriptor
}

func (l *memLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *memLayer) Size() (int64, error)                { return int64(len(l.data)), nil }
func (l *memLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.data)), nil
}
