package sbom

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// A layer is catalogued on its own, as Trivy analyses layers: Syft runs on
// an image holding just that layer (on top of the release files the layers
// below it show, so that Debian packages get their distribution), and the
// image's SBOM is the union of its layers' catalogues, minus what a layer
// above deletes or replaces (whiteouts, opaque directories, a file written
// again). A layer's catalogue depends only on its diff ID and the release
// files below it, so it can be cached (LayerCache): a service on a shared
// base catalogues only its own layers.
//
// What a per-layer catalogue cannot see, and so paved's SBOM does not say,
// is a package in one layer owning a file in another; the package set is
// the same as Syft's on the whole image (the tests compare it with stock
// syft).

// layerCatalog is the cataloguing of one layer.
type layerCatalog struct {
	DiffID string `json:"diffID"`
	// Size is the layer's content size as Syft reports it (the sum of its
	// files' sizes).
	Size int64 `json:"size"`
	// Files lists the layer's paths that are not directories, whiteouts
	// (.wh.NAME, .wh..wh..opq) included.
	Files []string `json:"files"`
	// Release holds the layer's release files (releasePaths), by path.
	Release map[string][]byte `json:"release,omitempty"`
	// SBOM is the layer's catalogue in Syft's own JSON format (raw, so an
	// entry is not base64 to decode as well).
	SBOM json.RawMessage `json:"sbom"`

	sbom   *syftsbom.SBOM
	hidden map[string]bool // hides()
}

// releasePaths are the files Syft identifies the Linux distribution from
// (syft/linux/identify_release.go).
var releasePaths = []string{"/etc/os-release", "/usr/lib/os-release", "/etc/system-release-cpe", "/etc/redhat-release", "/bin/busybox"}

// catalogLayers catalogs every layer of l (from cache when it has one) and
// merges the catalogues into the image's SBOM. ctx carries the license
// scanner.
func (l *loadedImage) catalogLayers(ctx context.Context, cache *LayerCache) (*syftsbom.SBOM, Layers, error) {
	layers, err := l.img.Layers()
	if err != nil {
		return nil, Layers{}, l.readErr(err)
	}
	cats := make([]*layerCatalog, len(layers))
	counts := Layers{Total: len(layers)}
	for i, layer := range layers {
		release := visibleRelease(cats[:i])
		diffID, err := layer.DiffID()
		if err != nil {
			return nil, counts, l.readErr(err)
		}
		key := layerKey(diffID, release)
		if cats[i] = cache.get(key, diffID); cats[i] != nil {
			counts.Cached++
			continue
		}
		if cats[i], err = l.catalogLayer(ctx, layer, diffID, release); err != nil {
			return nil, counts, err
		}
		cache.put(key, cats[i])
	}
	s, err := l.merge(cats)
	return s, counts, err
}

// Layers counts an image's layers and those whose catalogue came from the
// LayerCache.
type Layers struct {
	Total  int `json:"total"`
	Cached int `json:"cached"`
}

// catalogLayer catalogs layer alone, on top of a layer of the release
// files below it.
func (l *loadedImage) catalogLayer(ctx context.Context, layer v1.Layer, diffID v1.Hash, release map[string][]byte) (*layerCatalog, error) {
	var ls []v1.Layer
	if len(release) > 0 {
		rl, err := filesLayer(release)
		if err != nil {
			return nil, fmt.Errorf("making the release layer below %s: %w", diffID, err)
		}
		ls = append(ls, rl)
	}
	img, err := mutate.AppendLayers(empty.Image, append(ls, layer)...)
	if err != nil {
		return nil, fmt.Errorf("making an image of layer %s: %w", diffID, err)
	}
	alone := &loadedImage{src: l.src, img: img, reference: l.reference}
	if alone.digest, err = img.Digest(); err != nil {
		return nil, fmt.Errorf("making an image of layer %s: %w", diffID, err)
	}
	simg, cleanup, err := alone.read()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	s, err := alone.catalog(ctx, simg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cataloging layer %s of %q: %w", diffID, l.src, err)
	}
	top := simg.Layers[len(simg.Layers)-1]
	c := &layerCatalog{DiffID: diffID.String(), Size: top.Metadata.Size, sbom: s}
	for _, ref := range top.Tree.AllFiles(nonDirectories...) {
		c.Files = append(c.Files, string(ref.RealPath))
	}
	c.Release = layerRelease(simg, c.Files)
	dropLayer(s, simg.Layers[0].Metadata.Digest, len(simg.Layers) > 1)
	return c, c.encode()
}

// nonDirectories are the file types Files lists.
var nonDirectories = []file.Type{file.TypeRegular, file.TypeHardLink, file.TypeSymLink, file.TypeCharacterDevice,
	file.TypeBlockDevice, file.TypeFIFO, file.TypeSocket, file.TypeIrregular}

// layerRelease reads the release files the layer itself holds.
func layerRelease(simg *image.Image, files []string) map[string][]byte {
	own := map[string]bool{}
	for _, f := range files {
		own[f] = true
	}
	release := map[string][]byte{}
	for _, p := range releasePaths {
		if !own[p] {
			continue
		}
		if data, err := readAll(simg.FileContentsFromSquash(file.Path(p))); err == nil {
			release[p] = data
		}
	}
	return release
}

// dropLayer removes from s what Syft found in the release layer (the
// layer with diff ID id, when present): those packages and files belong
// to the layers below, which catalogue them.
func dropLayer(s *syftsbom.SBOM, id string, present bool) {
	if !present {
		return
	}
	var drop []artifact.ID
	for p := range s.Artifacts.Packages.Enumerate() {
		for _, loc := range p.Locations.ToSlice() {
			if loc.FileSystemID == id {
				drop = append(drop, p.ID())
				break
			}
		}
	}
	s.Artifacts.Packages.Delete(drop...)
	for c := range s.Artifacts.FileMetadata {
		if c.FileSystemID == id {
			delete(s.Artifacts.FileMetadata, c)
			delete(s.Artifacts.FileDigests, c)
		}
	}
}

// visibleRelease is the release files the layers of cats show together.
func visibleRelease(cats []*layerCatalog) map[string][]byte {
	release := map[string][]byte{}
	for i, c := range cats {
		for p, data := range c.Release {
			if !hiddenBy(p, cats[i+1:]) {
				release[p] = data
			}
		}
	}
	return release
}

// hides is the set of paths the layer removes from the layers below it,
// each with everything under it: the files it writes (a file replaces a
// file, or a directory, of that name), the targets of its whiteouts
// (.wh.NAME) and its opaque directories (.wh..wh..opq).
func (c *layerCatalog) hides() map[string]bool {
	if c.hidden == nil {
		c.hidden = make(map[string]bool, len(c.Files))
		for _, f := range c.Files {
			dir, base := path.Split(f)
			switch {
			case base == file.OpaqueWhiteout:
				c.hidden[path.Clean(dir)] = true
			case strings.HasPrefix(base, file.WhiteoutPrefix):
				c.hidden[dir+strings.TrimPrefix(base, file.WhiteoutPrefix)] = true
			default:
				c.hidden[f] = true
			}
		}
	}
	return c.hidden
}

// hiddenAbove returns, for each layer of cats, what the layers above it
// hide together.
func hiddenAbove(cats []*layerCatalog) []map[string]bool {
	out := make([]map[string]bool, len(cats))
	acc := map[string]bool{}
	for i := len(cats) - 1; i >= 0; i-- {
		out[i] = acc
		if i > 0 && len(cats[i].hides()) > 0 {
			next := make(map[string]bool, len(acc)+len(cats[i].hides()))
			for p := range acc {
				next[p] = true
			}
			for p := range cats[i].hides() {
				next[p] = true
			}
			acc = next
		}
	}
	return out
}

// hiddenBy reports whether path p, in a layer below uppers, is gone from
// the image.
func hiddenBy(p string, uppers []*layerCatalog) bool {
	for _, u := range uppers {
		if gone(p, u.hides()) {
			return true
		}
	}
	return false
}

// gone reports whether p or one of its directories is in hidden.
func gone(p string, hidden map[string]bool) bool {
	for q := p; q != "" && q != "/"; {
		if hidden[q] {
			return true
		}
		i := strings.LastIndexByte(q, '/')
		if i <= 0 {
			break
		}
		q = q[:i]
	}
	return false
}

// keepPackage reports whether p is still in the image when the layers
// above its own hide hidden: the files it was found in (its primary
// evidence, or every location when none is marked primary) are all there.
func keepPackage(p pkg.Package, hidden map[string]bool) bool {
	locs := p.Locations.ToSlice()
	var primary []string
	for _, loc := range locs {
		if loc.Annotations[pkg.EvidenceAnnotationKey] == pkg.PrimaryEvidenceAnnotation {
			primary = append(primary, loc.RealPath)
		}
	}
	if len(primary) == 0 {
		for _, loc := range locs {
			primary = append(primary, loc.RealPath)
		}
	}
	for _, p := range primary {
		if gone(p, hidden) {
			return false
		}
	}
	return true
}
