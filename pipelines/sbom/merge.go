package sbom

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	_ "unsafe" // go:linkname

	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/anchore/syft/syft/format/syftjson/model"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/stereoscopesource"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/paved-dev/paved/pipelines/failure"
)

// merge is the image's SBOM from its layers' catalogues, bottom first.
func (l *loadedImage) merge(cats []*layerCatalog) (*syftsbom.SBOM, error) {
	a := syftsbom.Artifacts{
		Packages: pkg.NewCollection(), FileMetadata: map[file.Coordinates]file.Metadata{},
		FileDigests: map[file.Coordinates][]file.Digest{}, FileContents: map[file.Coordinates]string{},
		FileLicenses: map[file.Coordinates][]file.License{}, Executables: map[file.Coordinates]file.Executable{},
		Unknowns: map[file.Coordinates][]string{},
	}
	pkgs, coords := map[artifact.ID]bool{}, map[file.Coordinates]bool{}
	hidden := hiddenAbove(cats)
	for i, c := range cats {
		s := c.sbom
		for p := range s.Artifacts.Packages.Enumerate() {
			if keepPackage(p, hidden[i]) {
				a.Packages.Add(p)
				pkgs[p.ID()] = true
			}
		}
		keep := func(c file.Coordinates) bool {
			if ok, seen := coords[c]; seen {
				return ok
			}
			ok := !gone(c.RealPath, hidden[i])
			coords[c] = ok
			return ok
		}
		copyVisible(a.FileMetadata, s.Artifacts.FileMetadata, keep)
		copyVisible(a.FileDigests, s.Artifacts.FileDigests, keep)
		copyVisible(a.FileContents, s.Artifacts.FileContents, keep)
		copyVisible(a.FileLicenses, s.Artifacts.FileLicenses, keep)
		copyVisible(a.Executables, s.Artifacts.Executables, keep)
		copyVisible(a.Unknowns, s.Artifacts.Unknowns, keep)
		if s.Artifacts.LinuxDistribution != nil {
			a.LinuxDistribution = s.Artifacts.LinuxDistribution
		}
	}
	kept := func(x artifact.Identifiable) bool {
		switch v := x.(type) {
		case pkg.Package:
			return pkgs[v.ID()]
		case *pkg.Package:
			return pkgs[v.ID()]
		case file.Coordinates:
			return coords[v]
		case file.Location:
			return coords[v.Coordinates]
		}
		return true
	}
	var rels []artifact.Relationship
	for _, c := range cats {
		for _, r := range c.sbom.Relationships {
			if kept(r.From) && kept(r.To) {
				rels = append(rels, r)
			}
		}
	}
	src, err := l.describe(cats)
	if err != nil {
		return nil, err
	}
	return &syftsbom.SBOM{
		Artifacts: a, Relationships: rels, Source: src,
		Descriptor: syftsbom.Descriptor{Name: "syft", Version: SyftVersion},
	}, nil
}

func copyVisible[V any](dst, src map[file.Coordinates]V, keep func(file.Coordinates) bool) {
	for c, v := range src {
		if keep(c) {
			dst[c] = v
		}
	}
}

// describe is Syft's description of the whole image, made as Syft makes it
// from an image it read, without reading the layers.
func (l *loadedImage) describe(cats []*layerCatalog) (source.Description, error) {
	meta, err := l.imageMetadata()
	if err != nil {
		return source.Description{}, l.readErr(err)
	}
	layers, err := l.img.Layers()
	if err != nil {
		return source.Description{}, l.readErr(err)
	}
	simg := &image.Image{Metadata: meta}
	for i, layer := range layers {
		mt, err := layer.MediaType()
		if err != nil {
			return source.Description{}, l.readErr(err)
		}
		simg.Layers = append(simg.Layers, &image.Layer{Metadata: image.LayerMetadata{
			Index: uint(i), Digest: cats[i].DiffID, MediaType: mt, Size: cats[i].Size,
		}})
		simg.Metadata.Size += cats[i].Size
	}
	return stereoscopesource.New(simg, stereoscopesource.ImageConfig{Reference: l.reference}).Describe(), nil
}

// imageMetadata is what stereoscope's image.Read and the options read
// passes (image.With...) put in an image's metadata.
func (l *loadedImage) imageMetadata() (image.Metadata, error) {
	id, err := l.img.ConfigName()
	if err != nil {
		return image.Metadata{}, err
	}
	cf, err := l.img.ConfigFile()
	if err != nil {
		return image.Metadata{}, err
	}
	mt, err := l.img.MediaType()
	if err != nil {
		return image.Metadata{}, err
	}
	rawConfig, err := l.img.RawConfigFile()
	if err != nil {
		return image.Metadata{}, err
	}
	m := image.Metadata{ID: id.String(), Config: *cf, MediaType: mt, RawConfig: rawConfig, ManifestDigest: l.digest.String()}
	if raw, err := l.img.RawManifest(); err == nil {
		m.RawManifest = raw
	}
	if l.remote {
		m.RepoDigests = []string{l.reference}
	}
	if l.tag != "" {
		if t, err := name.NewTag(l.tag); err == nil {
			m.Tags = []name.Tag{t}
		}
	}
	return m, nil
}

// readErr classifies an error reading the image's manifest, config or
// layers as read does.
func (l *loadedImage) readErr(err error) error {
	err = fmt.Errorf("reading layers of %q: %w", l.src, err)
	if c := registryErr(err); failure.KindOf(c) != failure.Internal {
		return c
	}
	return failure.BadInputErr(err)
}

// encode keeps c's catalogue in Syft's JSON format.
func (c *layerCatalog) encode() error {
	var buf bytes.Buffer
	if err := syftjson.NewFormatEncoder().Encode(&buf, *c.sbom); err != nil {
		return fmt.Errorf("encoding the catalogue of layer %s: %w", c.DiffID, err)
	}
	c.SBOM = buf.Bytes()
	return nil
}

// decode reads c's catalogue back.
func (c *layerCatalog) decode() error {
	var doc plainDocument
	if err := json.Unmarshal(c.SBOM, &doc); err != nil {
		return fmt.Errorf("decoding the catalogue of layer %s: %w", c.DiffID, err)
	}
	if doc.Schema.URL == "" || doc.Artifacts == nil {
		return fmt.Errorf("decoding the catalogue of layer %s: not a syft-json document", c.DiffID)
	}
	c.sbom = syftjsonToSyftModel(model.Document(doc))
	return nil
}

// plainDocument is Syft's JSON document without its UnmarshalJSON method,
// which recurses until the stack overflows when encoding/json runs on
// json/v2 (GOEXPERIMENT=jsonv2, which Trivy needs): it unmarshals into
// `type Alias *Document`, and json/v2 calls the pointee's method again.
// The method only converts file modes of anchorectl 1.0.0 documents.
type plainDocument model.Document

// syftjsonToSyftModel is what Syft's syft-json decoder does after
// unmarshalling: unexported in Syft v1.42.0 (format/syftjson), reached by
// linkname with its own signature; TestLayerCacheSharedBase fails if it
// changes.
//
//go:linkname syftjsonToSyftModel github.com/anchore/syft/syft/format/syftjson.toSyftModel
func syftjsonToSyftModel(doc model.Document) *syftsbom.SBOM

// filesLayer is an uncompressed layer of regular files (path → content).
func filesLayer(files map[string][]byte) (v1.Layer, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		if err := tw.WriteHeader(&tar.Header{Name: p[1:], Mode: 0o644, Size: int64(len(files[p])), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[p]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

func readAll(rc io.ReadCloser, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
