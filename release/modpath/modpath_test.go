package modpath

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

func TestForMajor(t *testing.T) {
	for _, tc := range []struct {
		path  string
		major uint64
		want  string
	}{
		{"example.com/m", 0, "example.com/m"},
		{"example.com/m", 1, "example.com/m"},
		{"example.com/m", 2, "example.com/m/v2"},
		{"example.com/m/v2", 3, "example.com/m/v3"},
		{"example.com/m/v2", 1, "example.com/m"},
		{"example.com/v2x", 2, "example.com/v2x/v2"},
	} {
		require.Equal(t, tc.want, ForMajor(tc.path, tc.major), "%s to v%d", tc.path, tc.major)
	}
}

func TestCheck(t *testing.T) {
	require.NoError(t, Check([]byte("module example.com/m\n"), "v1.4.0"))
	require.NoError(t, Check([]byte("module example.com/m\n"), "v0.9.0"))
	require.NoError(t, Check([]byte("module example.com/m/v2\n"), "v2.0.0"))

	err := Check([]byte("module example.com/m\n"), "v2.0.0")
	require.ErrorIs(t, err, ErrPath)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorContains(t, err, "v2.0.0 is released at example.com/m/v2")
	require.ErrorContains(t, err, "paved release module-path v2")

	require.ErrorIs(t, Check([]byte("module example.com/m/v2\n"), "v3.0.0"), ErrPath)
	require.ErrorIs(t, Check([]byte("module example.com/m/v2\n"), "v1.9.0"), ErrPath)
}

// TestMoveBuilds moves a module with a package, a test, a -X stamp and a
// nested module to v2; the moved module builds and stamps its version, the
// nested module is left alone.
func TestMoveBuilds(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                     "module example.com/tool\n\ngo 1.22\n",
		"internal/version/v.go":      "package version\n\nvar Version = \"dev\"\n",
		"cmd/tool/main.go":           "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/tool/internal/version\"\n)\n\n// VersionVar is stamped with -ldflags.\nconst VersionVar = \"example.com/tool/internal/version.Version\"\n\nfunc main() { fmt.Println(version.Version) }\n",
		"build.go":                   "package tool\n\nconst ldflags = \"-s -w -X example.com/tool/internal/version.Version=\"\n\n// Docs say example.com/tool/cmd/tool, unchanged.\nconst other = \"example.com/toolbox\"\n",
		"nested/go.mod":              "module example.com/tool/nested\n",
		"nested/n.go":                "package nested\n\nconst p = \"example.com/tool/internal\"\n",
		".paved/cache/x.go":          "package x\n\nimport _ \"example.com/tool/internal/version\"\n",
		"cmd/tool/main_test.go":      "package main\n\nimport (\n\t\"testing\"\n\n\t\"example.com/tool/internal/version\"\n)\n\nfunc TestV(t *testing.T) { _ = version.Version }\n",
		"internal/version/README.md": "go install example.com/tool/cmd/tool@latest\n",
	}
	for name, data := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(data), 0o644))
	}
	moved, err := Move(root, 2)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"go.mod", "cmd/tool/main.go", "cmd/tool/main_test.go", "build.go"}, keys(moved))
	require.Contains(t, string(moved["go.mod"]), "module example.com/tool/v2\n")
	require.Contains(t, string(moved["cmd/tool/main.go"]), `"example.com/tool/v2/internal/version"`)
	require.Contains(t, string(moved["cmd/tool/main.go"]), `const VersionVar = "example.com/tool/v2/internal/version.Version"`)
	require.Contains(t, string(moved["build.go"]), `-X example.com/tool/v2/internal/version.Version=`)
	require.Contains(t, string(moved["build.go"]), "Docs say example.com/tool/cmd/tool, unchanged.")
	require.Contains(t, string(moved["build.go"]), `"example.com/toolbox"`)
	for name, data := range moved {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), data, 0o644))
	}

	again, err := Move(root, 2)
	require.NoError(t, err)
	require.Empty(t, again, "a moved module is not moved again")

	bin := filepath.Join(t.TempDir(), "tool")
	cmd := exec.Command("go", "build", "-ldflags", "-X example.com/tool/v2/internal/version.Version=v2.0.0", "-o", bin, "./cmd/tool")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin).Output()
	require.NoError(t, err)
	require.Equal(t, "v2.0.0", strings.TrimSpace(string(out)))
}

// TestMovePaved: moving paved itself to v2 moves go.mod, its imports and
// the -X variable publish and the release harness stamp.
func TestMovePaved(t *testing.T) {
	moved, err := Move("../..", 2)
	require.NoError(t, err)
	require.Contains(t, string(moved["go.mod"]), "module github.com/paved-dev/paved/v2\n")
	require.Contains(t, string(moved["release/publish/publish.go"]), `DefaultVersionVar = "github.com/paved-dev/paved/v2/internal/version.Version"`)
	require.Contains(t, string(moved["release/candidate/build.go"]), `"github.com/paved-dev/paved/v2/internal/version.Version"`)
	require.Contains(t, string(moved["cmd/paved/version.go"]), `"github.com/paved-dev/paved/v2/internal/version"`)
	for name, data := range moved {
		require.NotContains(t, string(data), `"github.com/paved-dev/paved/pipelines`, name)
	}
	for _, name := range keys(moved) {
		require.False(t, strings.HasPrefix(name, ".dagger/") || strings.HasPrefix(name, ".paved/"), "%s is not paved's module", name)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
