package sbom

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
)

func generateCached(t *testing.T, img v1.Image, cache *LayerCache) *Result {
	t.Helper()
	res, err := Generate(context.Background(), Image(img, "registry.example/app"), CycloneDXJSON, WithCreated(time.Unix(0, 0)), WithLayerCache(cache))
	require.NoError(t, err)
	return res
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	require.NoError(t, err)
	return paths
}

// TestLayerCacheSharedBase: a second image on the same base and
// dependency layers catalogues only its own layer, and every document is
// the one made without a cache.
func TestLayerCacheSharedBase(t *testing.T) {
	a := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	b := testimage.New(t, testimage.Options{})
	cache, err := OpenLayerCache(t.TempDir(), 0)
	require.NoError(t, err)

	first := generateCached(t, a, cache)
	require.Equal(t, Layers{Total: 3, Cached: 0}, first.Layers)
	require.Len(t, entries(t, cache.Dir()), 3)
	again := generateCached(t, a, cache)
	require.Equal(t, Layers{Total: 3, Cached: 3}, again.Layers)
	require.Equal(t, string(generateCached(t, a, nil).Document), string(again.Document))

	other := generateCached(t, b, cache)
	require.Equal(t, Layers{Total: 3, Cached: 2}, other.Layers, "only the Go binary's layer is new")
	require.Equal(t, string(generateCached(t, b, nil).Document), string(other.Document))
}

// TestLayerCacheIgnoresBadEntries: a corrupt, foreign or edited entry is
// never used, the SBOM is the one made without a cache, and the entry is
// written again.
func TestLayerCacheIgnoresBadEntries(t *testing.T) {
	img := testimage.New(t, testimage.Options{NoGoBinary: true})
	want := string(generateCached(t, img, nil).Document)
	rewrite := func(t *testing.T, path string, edit func(e *cacheEntry)) {
		var e cacheEntry
		zr, err := gzip.NewReader(bytes.NewReader(must(os.ReadFile(path))))
		require.NoError(t, err)
		require.NoError(t, json.NewDecoder(zr).Decode(&e))
		edit(&e)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		require.NoError(t, json.NewEncoder(zw).Encode(e))
		require.NoError(t, zw.Close())
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	cases := map[string]func(t *testing.T, paths []string){
		"truncated": func(t *testing.T, paths []string) {
			for _, p := range paths {
				data := must(os.ReadFile(p))
				require.NoError(t, os.WriteFile(p, data[:len(data)/2], 0o644))
			}
		},
		"not gzip": func(t *testing.T, paths []string) {
			for _, p := range paths {
				require.NoError(t, os.WriteFile(p, []byte("{}"), 0o644))
			}
		},
		"another layer's entry": func(t *testing.T, paths []string) {
			data := must(os.ReadFile(paths[0]))
			require.NoError(t, os.WriteFile(paths[1], data, 0o644))
		},
		"another schema": func(t *testing.T, paths []string) {
			for _, p := range paths {
				rewrite(t, p, func(e *cacheEntry) { e.Schema = "paved.dev/sbom-layer/v0" })
			}
		},
		"edited catalogue": func(t *testing.T, paths []string) {
			for _, p := range paths {
				rewrite(t, p, func(e *cacheEntry) {
					e.Catalog = json.RawMessage(strings.ReplaceAll(string(e.Catalog), "lodash", "lodash-evil"))
				})
			}
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			cache, err := OpenLayerCache(t.TempDir(), 0)
			require.NoError(t, err)
			generateCached(t, img, cache)
			paths := entries(t, cache.Dir())
			require.Len(t, paths, 2)
			spoil(t, paths)
			res := generateCached(t, img, cache)
			require.Equal(t, want, string(res.Document))
			require.Less(t, res.Layers.Cached, 2, "a spoiled entry is not used")
			require.Equal(t, Layers{Total: 2, Cached: 2}, generateCached(t, img, cache).Layers, "the entry was written again")
		})
	}
}

// TestLayerCacheIsBounded: the directory never holds more than its limit
// after a write, and the least recently used entries go first.
func TestLayerCacheIsBounded(t *testing.T) {
	a := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	b := testimage.New(t, testimage.Options{})
	probe, err := OpenLayerCache(t.TempDir(), 0)
	require.NoError(t, err)
	generateCached(t, a, probe)
	var binLayer int64
	for _, p := range entries(t, probe.Dir()) {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		binLayer = max(binLayer, fi.Size())
	}
	cache, err := OpenLayerCache(t.TempDir(), binLayer*2)
	require.NoError(t, err)
	generateCached(t, a, cache)
	generateCached(t, b, cache)
	var total int64
	for _, p := range entries(t, cache.Dir()) {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		total += fi.Size()
	}
	require.LessOrEqual(t, total, binLayer*2)
	require.Equal(t, 3, generateCached(t, b, cache).Layers.Total)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
