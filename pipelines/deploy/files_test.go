package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

// TestSymlinksRefused: a symbolic link among the files a bump reads or
// writes is exit 2 naming it, in a dry run too; nothing is pushed.
func TestSymlinksRefused(t *testing.T) {
	tests := []struct {
		name, link, to, want string
	}{
		{"versions.yaml", VersionsFile, "manifests/worker/dev/all.yaml", "reading versions.yaml: versions.yaml is a symbolic link"},
		{"an environment's directory", "manifests/worker/staging", "dev", "reading directory manifests/worker/staging"},
		{"a values file", "charts/api/values-dev.yaml", "values-prod.yaml", "reading charts/api/values-dev.yaml: charts/api/values-dev.yaml is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := gitopsFiles(t)
			for name := range files {
				if strings.HasPrefix(name, tt.link+"/") || name == tt.link {
					delete(files, name)
				}
			}
			url := newBareRemote(t, files)
			link(t, url, tt.link, tt.to)
			svc, env := "worker", "dev"
			switch tt.link {
			case "manifests/worker/staging":
				env = "staging"
			case "charts/api/values-dev.yaml":
				svc = "api"
			}
			image := map[string]string{"worker": "ghcr.io/acme/worker@", "api": "ghcr.io/acme/api@"}[svc] + digestA
			_, before := remoteState(t, url)
			for _, dry := range []bool{true, false} {
				_, err := Bump(context.Background(), url, bumpReq(svc, env, image, ""), testOpts(t, WithDryRun(dry))...)
				require.ErrorContains(t, err, strings.ReplaceAll(tt.want, "reading directory manifests/worker/staging", "manifests/worker/staging is a symbolic link"))
				require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			}
			_, after := remoteState(t, url)
			require.Len(t, after, len(before), "nothing is pushed")
		})
	}
}

// link commits a symbolic link name -> target to the main branch of url.
func link(t *testing.T, url, name, target string) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: url, ReferenceName: "refs/heads/main"})
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.Filesystem.Symlink(target, name))
	_, err = wt.Add(name)
	require.NoError(t, err)
	sig := &object.Signature{Name: "seed", Email: "seed@example.com", When: time.Unix(1700000100, 0)}
	_, err = wt.Commit("link "+name, &git.CommitOptions{Author: sig})
	require.NoError(t, err)
	require.NoError(t, repo.Push(&git.PushOptions{RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"}}))
}

// TestConcurrentIdenticalBumps runs twenty identical bumps at once, to the
// same second: every one exits without error, one commit lands, the others
// report no change (a lost race whose result is already pushed).
func TestConcurrentIdenticalBumps(t *testing.T) {
	for _, remote := range []string{"bare", "smart-http"} {
		t.Run(remote, func(t *testing.T) {
			const n = 20
			url := newBareRemote(t, gitopsFiles(t))
			if remote == "smart-http" {
				url = httpRemote(t, url, "tok")
			}
			var wg sync.WaitGroup
			results := make([]*Result, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = Bump(context.Background(), url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "v1"),
						testOpts(t, WithClock(testClock), WithRetry(30, 20*time.Millisecond), WithAuth(basicAuth("tok")))...)
				}()
			}
			wg.Wait()
			changed := 0
			for i := range n {
				require.NoError(t, errs[i])
				if results[i].Changed {
					changed++
				}
			}
			require.Equal(t, 1, changed, "one bump commits, the others find it done")
			_, log := remoteState(t, strings.Replace(url, "http://", "http://x:tok@", 1))
			require.Len(t, log, 2)
		})
	}
}

// TestResultJSON: paved deploy --output json prints the documented names.
func TestResultJSON(t *testing.T) {
	url := newBareRemote(t, gitopsFiles(t))
	opts := testOpts(t, WithClock(testClock))
	_, err := Bump(context.Background(), url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "v1"), opts...)
	require.NoError(t, err)
	res, err := Bump(context.Background(), url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestB, "v2"), opts...)
	require.NoError(t, err)
	data, err := json.Marshal(res)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(data, &got))
	require.Equal(t, ResultSchema, got["schemaVersion"])
	rec := got["record"].(map[string]any)
	require.Equal(t, digestA, rec["previousDigest"])
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	require.Equal(t, []string{"deployedAt", "deployedBy", "digest", "history", "image", "pavedVersion", "previousDigest", "runId", "sourceRevision", "traceId", "version"}, keys, fmt.Sprint(rec))
	validateResult(t, data)
}
