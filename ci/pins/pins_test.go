package pins_test

import (
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/pins"
	"github.com/paved-dev/paved/fleet/pin"
)

const root = "../.."

// A public key as cosign.pub holds it.
const publicKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVv3ZcZ6tpmMvtI0pUkrGbczUqKh5
zc2c8ad4TKzt2nLeVgcJmp9VvfkRWjNmBFg1GPjEZbiKg9OrS3mcr2fF5Q==
-----END PUBLIC KEY-----
`

// TestRepositoryAgrees: in this repository every wrapper pins one version,
// in its marked values and in its paved pins, and the marked names are the
// ones a release writes.
func TestRepositoryAgrees(t *testing.T) {
	marked, paved, err := pins.Read(root)
	require.NoError(t, err)
	byName := map[string][]pins.Marked{}
	for _, m := range marked {
		byName[m.Name] = append(byName[m.Name], m)
	}
	require.ElementsMatch(t, []string{pins.Version, pins.PublicKey, pins.SHA256SUMS}, keys(byName))
	version := byName[pins.Version][0].Value
	require.True(t, pin.IsSemver(version), version)
	for _, m := range byName[pins.Version] {
		require.Equal(t, version, m.Value, "%s line %d pins another version", m.File, m.Line)
	}
	for _, m := range byName[pins.SHA256SUMS] {
		if m.Value != "" {
			require.True(t, strings.HasPrefix(m.Value, version+" "), "%s line %d pins the checksums of another version: %q", m.File, m.Line, m.Value)
		}
	}
	require.NotEmpty(t, paved)
	for _, p := range paved {
		require.Equal(t, version, p.Version, "%s line %d", p.File, p.Line)
	}
	files := map[string]bool{}
	for _, m := range marked {
		files[m.File] = true
	}
	for _, f := range []string{"ci/github/action.yml", "templates/build-scan-deploy.yml"} {
		require.True(t, files[f], "%s has no marked pins", f)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	copyPinned(t, dir)
	changed, err := pins.Write(dir, pins.Release{Version: "v0.2.0", SumsSHA256: "ab12", PublicKeyPEM: []byte(publicKey)})
	require.NoError(t, err)
	require.Contains(t, changed, "ci/github/action.yml")
	require.Contains(t, changed, ".github/workflows/build-scan-deploy.yml", "the reusable workflow's call of the action moves")
	for name, data := range changed {
		old, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, strings.Count(string(old), "\n"), strings.Count(string(data), "\n"), "%s: only pinned values change", name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	marked, paved, err := pins.Read(dir)
	require.NoError(t, err)
	oneLine, err := pins.OneLine([]byte(publicKey))
	require.NoError(t, err)
	want := map[string]string{pins.Version: "v0.2.0", pins.PublicKey: oneLine, pins.SHA256SUMS: "v0.2.0 ab12"}
	for _, m := range marked {
		require.Equal(t, want[m.Name], m.Value, "%s line %d", m.File, m.Line)
	}
	for _, p := range paved {
		require.Equal(t, "v0.2.0", p.Version, "%s line %d", p.File, p.Line)
	}
	action, err := os.ReadFile(filepath.Join(dir, "ci/github/action.yml"))
	require.NoError(t, err)
	require.Contains(t, string(action), `    default: v0.2.0 # paved-release: version`+"\n", "a bare version stays bare")
	require.Contains(t, string(action), `    default: "`+oneLine+`" # paved-release: public-key`+"\n")

	// Go stays gofmt-clean with the longer values.
	src, err := os.ReadFile(filepath.Join(dir, ".dagger/main.go"))
	require.NoError(t, err)
	formatted, err := format.Source(src)
	require.NoError(t, err)
	require.Equal(t, string(formatted), string(src))
	require.Contains(t, string(src), `"v0.2.0"`)

	// Pinned again with the same release: nothing changes.
	again, err := pins.Write(dir, pins.Release{Version: "v0.2.0", SumsSHA256: "ab12", PublicKeyPEM: []byte(publicKey)})
	require.NoError(t, err)
	require.Empty(t, again)
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	_, err := pins.Write(dir, pins.Release{Version: "v0.2.0", PublicKeyPEM: []byte("not a key")})
	require.ErrorContains(t, err, "not a PEM PUBLIC KEY")

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "ci/github"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ci/github/action.yml"), []byte("x: 1 # paved-release: colour\n"), 0o644))
	_, err = pins.Write(dir, pins.Release{Version: "v0.2.0", PublicKeyPEM: []byte(publicKey)})
	require.ErrorContains(t, err, `ci/github/action.yml line 1: unknown pin "colour"`)
}

func TestOneLine(t *testing.T) {
	got, err := pins.OneLine([]byte(publicKey))
	require.NoError(t, err)
	require.Equal(t, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVv3ZcZ6tpmMvtI0pUkrGbczUqKh5zc2c8ad4TKzt2nLeVgcJmp9VvfkRWjNmBFg1GPjEZbiKg9OrS3mcr2fF5Q==", got)
}

func copyPinned(t *testing.T, dir string) {
	t.Helper()
	for _, g := range pins.Files {
		matches, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(g)))
		require.NoError(t, err)
		for _, m := range matches {
			rel, err := filepath.Rel(root, m)
			require.NoError(t, err)
			data, err := os.ReadFile(m)
			require.NoError(t, err)
			require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, rel), data, 0o644))
		}
	}
}

func keys(m map[string][]pins.Marked) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
