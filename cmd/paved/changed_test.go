package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"
)

func TestChanged(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	write := func(files map[string]string) {
		for p, c := range files {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644))
			_, err := wt.Add(p)
			require.NoError(t, err)
		}
		_, err := wt.Commit("c", &git.CommitOptions{Author: &object.Signature{Name: "d", Email: "d@example.com", When: time.Unix(1780000000, 0)}})
		require.NoError(t, err)
	}
	cfg := func(name string) string {
		return "apiVersion: paved.dev/v1\nkind: Service\nname: " + name + "\nbuild:\n  kind: dockerfile\nimage:\n  repository: r.example/" + name + "\n"
	}
	write(map[string]string{"svc/api/paved.yaml": cfg("api"), "svc/web/paved.yaml": cfg("web")})
	head, err := repo.Head()
	require.NoError(t, err)
	require.NoError(t, repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/base", head.Hash())))
	write(map[string]string{"svc/web/index.html": "<p>hi</p>\n"})

	code, stdout, stderr := runCLI(t, "changed", "--base", "base", "--root", dir)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "svc/web\n", stdout)

	code, stdout, stderr = runCLI(t, "changed", "--base", "base", "--root", dir, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var out changedOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Services, 1)
	require.Equal(t, "web", out.Services[0].Name)
	require.Equal(t, []string{"svc/web/index.html"}, out.Services[0].Files)

	code, _, stderr = runCLI(t, "changed", "--root", dir)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--base is required")
	code, _, stderr = runCLI(t, "changed", "--base", "nope", "--root", dir)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `resolving revision "nope"`)
}
