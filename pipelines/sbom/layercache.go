package sbom

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayerCache keeps the catalogue of each image layer, by diff ID, in a
// directory, so that a layer shared by many images (a base) is catalogued
// once per machine, or once per CI cache. It is bounded: after a write,
// the least recently used entries are removed until the directory holds at
// most its size limit. A nil *LayerCache caches nothing.
//
// An entry is used only when it decodes completely and names the schema,
// Syft version, cataloguing configuration, diff ID and release context it
// is looked up for, and its content matches the digest it carries;
// anything else (a truncated file, another paved's entry, a hand-edited
// one) is ignored and written again. Whoever can write the directory can
// still change what the SBOM says: give it the trust of the CI cache that
// holds the vulnerability database.
type LayerCache struct {
	dir      string
	maxBytes int64
	mu       sync.Mutex // one writer evicts at a time
}

// layerCacheSchema names the entry format and, with SyftVersion and
// catalogConfigVersion, what a cached catalogue was made by. Bump
// catalogConfigVersion whenever createConfig changes what Syft finds.
const (
	layerCacheSchema     = "paved.dev/sbom-layer/v2"
	catalogConfigVersion = "2" // 2: files hashed with SHA-1 too
)

// DefaultLayerCacheBytes is the size limit OpenLayerCache uses for 0.
const DefaultLayerCacheBytes = 512 << 20

// OpenLayerCache opens (creating it) the cache directory dir, holding at
// most maxBytes of entries (DefaultLayerCacheBytes when 0).
func OpenLayerCache(dir string, maxBytes int64) (*LayerCache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating layer cache %q: %w", dir, err)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultLayerCacheBytes
	}
	return &LayerCache{dir: dir, maxBytes: maxBytes}, nil
}

// Dir is the cache directory.
func (c *LayerCache) Dir() string { return c.dir }

// cacheEntry is one file of the cache.
type cacheEntry struct {
	Schema  string          `json:"schema"`
	Key     string          `json:"key"`
	Digest  string          `json:"digest"` // sha256 of Catalog
	Catalog json.RawMessage `json:"catalog"`
}

// layerKey names the catalogue of the layer diffID above the release files
// release.
func layerKey(diffID v1.Hash, release map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", layerCacheSchema, SyftVersion, catalogConfigVersion, diffID)
	paths := make([]string, 0, len(release))
	for p := range release {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		sum := sha256.Sum256(release[p])
		fmt.Fprintf(h, "%s %x\n", p, sum)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *LayerCache) path(key string) string { return filepath.Join(c.dir, key+".json.gz") }

// get returns the catalogue stored under key for diffID, or nil.
func (c *LayerCache) get(key string, diffID v1.Hash) *layerCatalog {
	if c == nil {
		return nil
	}
	path := c.path(key)
	cat, err := readEntry(path, key, diffID)
	if err != nil {
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now) // least recently used goes first
	return cat
}

func readEntry(path, key string, diffID v1.Hash) (*layerCatalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var e cacheEntry
	if err := json.NewDecoder(zr).Decode(&e); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, zr); err != nil { // the gzip checksum
		return nil, err
	}
	sum := sha256.Sum256(e.Catalog)
	if e.Schema != layerCacheSchema || e.Key != key || e.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("entry %q is not this key's", path)
	}
	var cat layerCatalog
	if err := json.Unmarshal(e.Catalog, &cat); err != nil {
		return nil, err
	}
	if cat.DiffID != diffID.String() {
		return nil, fmt.Errorf("entry %q catalogues layer %s, not %s", path, cat.DiffID, diffID)
	}
	if err := cat.decode(); err != nil {
		return nil, err
	}
	return &cat, nil
}

// put stores cat under key, then evicts. A cache that cannot be written
// costs a re-cataloguing next time, never a failed SBOM.
func (c *LayerCache) put(key string, cat *layerCatalog) {
	if c == nil {
		return
	}
	body, err := json.Marshal(cat)
	if err != nil {
		return
	}
	sum := sha256.Sum256(body)
	entry, err := json.Marshal(cacheEntry{Schema: layerCacheSchema, Key: key, Digest: "sha256:" + hex.EncodeToString(sum[:]), Catalog: body})
	if err != nil {
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(entry)
	if zw.Close() != nil {
		return
	}
	if WriteFile(c.path(key), buf.Bytes()) == nil {
		c.evict()
	}
}

// evict removes the least recently used entries until the cache holds at
// most maxBytes.
func (c *LayerCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type entry struct {
		path string
		size int64
		used time.Time
	}
	var entries []entry
	var total int64
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), ".json.gz") || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		if fi, err := de.Info(); err == nil {
			entries = append(entries, entry{filepath.Join(c.dir, de.Name()), fi.Size(), fi.ModTime()})
			total += fi.Size()
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].used.Before(entries[j].used) })
	for _, e := range entries {
		if total <= c.maxBytes {
			return
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
}
