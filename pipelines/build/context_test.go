package build

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

// writeTree writes files (slash path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
}

func TestLoadContextIgnore(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ignore   map[string]string // ignore file name → patterns
		included []string
		excluded []string
		size     int64
	}{
		{
			name:     "no ignore file",
			included: []string{"Dockerfile", "src/main.go", "src/vendor/lib.go", "docs/a.md", "node_modules/x/index.js"},
			size:     int64(len("FROM scratch\n") + 3*2 + 4),
		},
		{
			name:     "patterns and directories",
			ignore:   map[string]string{".dockerignore": "# comment\nnode_modules\n**/*.md\n"},
			included: []string{"Dockerfile", ".dockerignore", "src/main.go", "docs"},
			excluded: []string{"node_modules", "node_modules/x/index.js", "docs/a.md"},
		},
		{
			name:     "an exclusion brings a file back",
			ignore:   map[string]string{".dockerignore": "src\n!src/main.go\n"},
			included: []string{"src/main.go"},
			excluded: []string{"src", "src/vendor/lib.go"},
		},
		{
			name:     "the Dockerfile's own ignore file wins",
			ignore:   map[string]string{".dockerignore": "src\n", "Dockerfile.dockerignore": "docs\n"},
			included: []string{"src/main.go"},
			excluded: []string{"docs/a.md"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				"Dockerfile": "FROM scratch\n", "src/main.go": "go", "src/vendor/lib.go": "go",
				"docs/a.md": "md", "node_modules/x/index.js": "js!!",
			})
			writeTree(t, dir, tc.ignore)
			c, err := loadContext(dir, filepath.Join(dir, "Dockerfile"), 0)
			require.NoError(t, err)
			for _, p := range tc.included {
				require.Contains(t, c.entries, p)
			}
			for _, p := range tc.excluded {
				require.NotContains(t, c.entries, p)
			}
			if tc.size > 0 {
				require.Equal(t, tc.size, c.size)
			}
		})
	}
}

func TestLoadContextLimit(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"huge.bin": strings.Repeat("h", 1<<16)})
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "a.bin": strings.Repeat("a", 1000)})
	// A symlink is not followed: what it points to is not part of the context.
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "linked")))

	c, err := loadContext(dir, filepath.Join(dir, "Dockerfile"), 2000)
	require.NoError(t, err)
	require.Equal(t, int64(1013), c.size)

	_, err = loadContext(dir, filepath.Join(dir, "Dockerfile"), 1012)
	require.ErrorIs(t, err, ErrContextTooLarge)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "1013 B after .dockerignore, limit 1012 B")
}

func TestContextSource(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret": "s"})
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "app/a.txt": "a", "skip.log": "l", ".dockerignore": "*.log\n"})
	require.NoError(t, os.Symlink("app/a.txt", filepath.Join(dir, "inside")))
	require.NoError(t, os.Symlink("app", filepath.Join(dir, "appdir")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "abs-out")))
	require.NoError(t, os.Symlink("../"+filepath.Base(outside)+"/secret", filepath.Join(dir, "rel-out")))
	c, err := loadContext(dir, filepath.Join(dir, "Dockerfile"), 0)
	require.NoError(t, err)

	for _, tc := range []struct {
		src  string
		want string
		is   error
	}{
		{src: "app/a.txt", want: "app/a.txt"},
		{src: "./app/../app/a.txt", want: "app/a.txt"},
		{src: "inside", want: "app/a.txt"},
		{src: "appdir/a.txt", want: "app/a.txt"},
		{src: ".", want: "."},
		{src: "../x", is: ErrEscapesContext},
		{src: "app/../../x", is: ErrEscapesContext},
		{src: "/etc/passwd", is: ErrEscapesContext},
		{src: "abs-out", is: ErrEscapesContext},
		{src: "rel-out", is: ErrEscapesContext},
		{src: "missing", is: fs.ErrNotExist},
		{src: "skip.log"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			got, err := c.source(tc.src)
			if tc.want != "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.Contains(t, err.Error(), tc.src)
			if tc.is != nil {
				require.True(t, errors.Is(err, tc.is), "%v is not %v", err, tc.is)
			} else {
				require.Contains(t, err.Error(), "excluded by .dockerignore")
			}
		})
	}
}
