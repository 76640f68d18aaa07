package deploy

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"
)

// historyRemote creates a bare repository with services manifests services
// and commits commits of history (each touching one service's file).
func historyRemote(b testing.TB, services, commits int) string {
	dir := filepath.Join(b.TempDir(), "gitops.git")
	_, err := git.PlainInit(dir, true)
	require.NoError(b, err)
	repo, err := git.Init(memory.NewStorage(), memfs.New())
	require.NoError(b, err)
	wt, err := repo.Worktree()
	require.NoError(b, err)
	files := manyServices(services)
	for name, data := range files {
		require.NoError(b, writeFile(wt.Filesystem, name, []byte(data)))
		_, err := wt.Add(name)
		require.NoError(b, err)
	}
	when := time.Unix(1700000000, 0)
	sig := func(i int) *object.Signature {
		return &object.Signature{Name: "ci", Email: "ci@example.com", When: when.Add(time.Duration(i) * time.Minute)}
	}
	_, err = wt.Commit("seed", &git.CommitOptions{Author: sig(0)})
	require.NoError(b, err)
	for i := 1; i < commits; i++ {
		svc := fmt.Sprintf("svc%03d", i%services)
		name := "services/" + svc + "/prod/deployment.yaml"
		require.NoError(b, writeFile(wt.Filesystem, name, []byte(fmt.Sprintf(deploymentTemplate, svc, svc, svc, svc, svc)+fmt.Sprintf("# revision %d\n", i))))
		_, err := wt.Add(name)
		require.NoError(b, err)
		_, err = wt.Commit(fmt.Sprintf("change %d", i), &git.CommitOptions{Author: sig(i)})
		require.NoError(b, err)
	}
	_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{dir}})
	require.NoError(b, err)
	require.NoError(b, repo.Push(&git.PushOptions{RefSpecs: []config.RefSpec{"refs/heads/master:refs/heads/main"}}))
	return dir
}

// BenchmarkBump measures one bump (clone, edit, check that the image is in
// the registry, commit, push) into a GitOps repository with 100 services and
// 1,000 commits of history.
func BenchmarkBump(b *testing.B) {
	url := historyRemote(b, 100, 1000)
	ctx := context.Background()
	opts := testOpts(b)
	seeds := []string{"a", "b", "c"}
	for i := range 100 {
		for _, seed := range seeds {
			pushTo(b, fmt.Sprintf("ghcr.io/acme/svc%03d", i), seed)
		}
	}
	for i := 0; b.Loop(); i++ {
		svc := fmt.Sprintf("svc%03d", i%100)
		image := fmt.Sprintf("ghcr.io/acme/%s@%s", svc, imageDigest(seeds[(i/100)%3]))
		res, err := Bump(ctx, url, bumpReq(svc, "dev", image, ""), opts...)
		if err != nil || !res.Changed {
			b.Fatalf("bump %d: %v", i, err)
		}
	}
}
