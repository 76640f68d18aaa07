package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCopyTreeOfAWorkTree: a work tree named by a relative path (the tests
// pass "..") is copied without what git ignores or its .git: a release
// tree that took .paved/ along made act read gigabytes into memory.
func TestCopyTreeOfAWorkTree(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	for name, data := range map[string]string{".gitignore": "/.paved/\n", "tracked.go": "package x\n", ".paved/big": "ignored\n"} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, name), []byte(data), 0o644))
	}
	require.NoError(t, commitAll(ctx, src, "init", ""))
	require.NoError(t, os.WriteFile(filepath.Join(src, "untracked.go"), []byte("package x\n"), 0o644))

	cwd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(cwd, src)
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "tree")
	require.NoError(t, copyTree(ctx, rel, dst))
	var got []string
	require.NoError(t, filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			r, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(r))
		}
		return err
	}))
	require.ElementsMatch(t, []string{".gitignore", "tracked.go", "untracked.go"}, got)
}
