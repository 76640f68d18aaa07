package service

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

func svcConfig(name, extra string) string {
	return "apiVersion: paved.dev/v1\nkind: Service\nname: " + name +
		"\nbuild:\n  kind: dockerfile\nimage:\n  repository: r.example/" + name + "\n" + extra
}

// monorepo commits files on main and returns the repository and its work tree.
func monorepo(t *testing.T, files map[string]string) (string, *git.Repository) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	require.NoError(t, err)
	commit(t, repo, dir, files)
	return dir, repo
}

func commit(t *testing.T, repo *git.Repository, dir string, files map[string]string) plumbing.Hash {
	t.Helper()
	wt, err := repo.Worktree()
	require.NoError(t, err)
	for p, content := range files {
		full := filepath.Join(dir, p)
		if content == "" {
			_, err := wt.Remove(p)
			require.NoError(t, err)
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
		_, err := wt.Add(p)
		require.NoError(t, err)
	}
	h, err := wt.Commit("change", &git.CommitOptions{Author: &object.Signature{Name: "dev", Email: "d@example.com", When: time.Unix(1780000000, 0)}})
	require.NoError(t, err)
	return h
}

func TestChanged(t *testing.T) {
	base := map[string]string{
		"services/api/paved.yaml":    svcConfig("api", "sources: [../../libs/auth]\n"),
		"services/api/Dockerfile":    "FROM scratch\n",
		"services/web/paved.yaml":    "apiVersion: paved.dev/v1\nkind: Service\nname: web\nbuild:\n  kind: dockerfile\n  dir: ../../frontend\nimage:\n  repository: r.example/web\n",
		"frontend/Dockerfile":        "FROM scratch\n",
		"services/worker/paved.yaml": svcConfig("worker", ""),
		"services/worker/main.go":    "package main\n",
		"libs/auth/auth.go":          "package auth\n",
		"docs/README.md":             "docs\n",
	}
	tests := []struct {
		name   string
		change map[string]string
		root   string
		want   map[string][]string // service dir → changed files
	}{
		{"nothing", map[string]string{"docs/README.md": "new docs\n"}, "", map[string][]string{}},
		{"a service's own file", map[string]string{"services/worker/main.go": "package main // v2\n"}, "",
			map[string][]string{"services/worker": {"services/worker/main.go"}}},
		{"paved.yaml", map[string]string{"services/api/paved.yaml": svcConfig("api", "sources: [../../libs/auth]\nscan:\n  ignoreUnfixed: true\n")}, "",
			map[string][]string{"services/api": {"services/api/paved.yaml"}}},
		{"a shared library listed in sources", map[string]string{"libs/auth/auth.go": "package auth // v2\n"}, "",
			map[string][]string{"services/api": {"libs/auth/auth.go"}}},
		{"build.dir outside the service", map[string]string{"frontend/Dockerfile": "FROM scratch\nLABEL a=b\n"}, "",
			map[string][]string{"services/web": {"frontend/Dockerfile"}}},
		{"a deleted file", map[string]string{"services/api/Dockerfile": ""}, "",
			map[string][]string{"services/api": {"services/api/Dockerfile"}}},
		{"a new service", map[string]string{"services/jobs/paved.yaml": svcConfig("jobs", "")}, "",
			map[string][]string{"services/jobs": {"services/jobs/paved.yaml"}}},
		{"a broken paved.yaml is still listed", map[string]string{"services/worker/paved.yaml": "name: [\n"}, "",
			map[string][]string{"services/worker": {"services/worker/paved.yaml"}}},
		{"root limits the search", map[string]string{"services/worker/main.go": "package main // v3\n", "libs/auth/auth.go": "package auth // v3\n"}, "services/worker",
			map[string][]string{"services/worker": {"services/worker/main.go"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, repo := monorepo(t, base)
			mainRef, err := repo.Head()
			require.NoError(t, err)
			require.NoError(t, repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/base", mainRef.Hash())))
			commit(t, repo, dir, tt.change)
			got, err := Changed(filepath.Join(dir, tt.root), "base")
			require.NoError(t, err)
			gotMap := map[string][]string{}
			for _, c := range got {
				gotMap[c.Dir] = c.Files
				if tt.name == "a broken paved.yaml is still listed" {
					require.NotEmpty(t, c.Error)
				}
			}
			require.Equal(t, tt.want, gotMap)
		})
	}
}

func TestChangedSinceMergeBase(t *testing.T) {
	dir, repo := monorepo(t, map[string]string{"a/paved.yaml": svcConfig("alpha", ""), "b/paved.yaml": svcConfig("beta", "")})
	fork, err := repo.Head()
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	// The branch changes a while main moves on and changes b: only a is
	// the branch's change, as in git diff main...HEAD.
	require.NoError(t, wt.Checkout(&git.CheckoutOptions{Branch: "refs/heads/feature", Create: true}))
	commit(t, repo, dir, map[string]string{"a/x": "1\n"})
	require.NoError(t, wt.Checkout(&git.CheckoutOptions{Branch: "refs/heads/main", Hash: fork.Hash(), Create: true}))
	commit(t, repo, dir, map[string]string{"b/x": "1\n"})
	require.NoError(t, wt.Checkout(&git.CheckoutOptions{Branch: "refs/heads/feature"}))

	got, err := Changed(dir, "main")
	require.NoError(t, err)
	require.Equal(t, []Change{{Name: "alpha", Dir: "a", Files: []string{"a/x"}}}, got)
}

func TestChangedRefusals(t *testing.T) {
	dir, _ := monorepo(t, map[string]string{"a/paved.yaml": svcConfig("a", "")})
	_, err := Changed(dir, "no-such-branch")
	require.ErrorContains(t, err, `resolving revision "no-such-branch"`)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	_, err = Changed(t.TempDir(), "main")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
