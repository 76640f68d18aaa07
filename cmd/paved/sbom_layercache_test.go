package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
)

// TestSBOMLayerCache: the second paved sbom of an image reads every layer's
// catalogue from --layer-cache and writes the same document; off caches
// nothing; a --layer-cache that cannot be a directory is bad input.
func TestSBOMLayerCache(t *testing.T) {
	dir := t.TempDir()
	layout := testimage.WriteLayout(t, testimage.New(t, testimage.Options{}))
	cache := filepath.Join(dir, "layers")
	sbom := func(out string, args ...string) sbomResult {
		code, stdout, stderr := runCLI(t, append([]string{"sbom", layout, "--out", out, "--output", "json"}, args...)...)
		require.Equal(t, 0, code, stderr)
		var r sbomResult
		require.NoError(t, json.Unmarshal([]byte(stdout), &r))
		return r
	}
	cold := sbom(filepath.Join(dir, "cold.json"), "--layer-cache", cache)
	require.Positive(t, cold.Layers.Total)
	require.Zero(t, cold.Layers.Cached)
	warm := sbom(filepath.Join(dir, "warm.json"), "--layer-cache", cache)
	require.Equal(t, warm.Layers.Total, warm.Layers.Cached, "every layer from the cache")
	require.Equal(t, cold.Digest, warm.Digest, "the same document")

	t.Setenv(envLayerCache, filepath.Join(dir, "from-env"))
	off := sbom(filepath.Join(dir, "off.json"), "--layer-cache", "off")
	require.Zero(t, off.Layers.Cached)
	require.Equal(t, cold.Digest, off.Digest)
	require.NoDirExists(t, filepath.Join(dir, "from-env"), "off writes no cache")

	file := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	code, _, stderr := runCLI(t, "sbom", layout, "--out", filepath.Join(dir, "bad.json"), "--layer-cache", filepath.Join(file, "layers"))
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "--layer-cache")
	require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %s", stderr)
	require.NoFileExists(t, filepath.Join(dir, "bad.json"), "nothing half-written")
}
