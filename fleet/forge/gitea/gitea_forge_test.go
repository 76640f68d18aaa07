//go:build forge

package gitea_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/gitea"
	"github.com/paved-dev/paved/internal/giteatest"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestGitea runs the forge against one real Gitea whose API answers two
// items a page, so that every list call pages.
func TestGitea(t *testing.T) {
	srv := giteatest.Start(t, "[api]\nMAX_RESPONSE_ITEMS = 2\n")
	f, err := gitea.New(srv.API, srv.Token, forge.WithRetry(2, time.Millisecond, time.Second))
	require.NoError(t, err)
	t.Run("repositories", func(t *testing.T) { testRepositories(t, srv, f) })
	t.Run("pull request lifecycle", func(t *testing.T) { testLifecycle(t, srv, f) })
	t.Run("close", func(t *testing.T) { testClose(t, srv, f) })
	t.Run("bad token", func(t *testing.T) { testBadToken(t, srv) })
	t.Run("lost merge answer", func(t *testing.T) { testLostMerge(t, srv) })
}

func testRepositories(t *testing.T, srv *giteatest.Server, f *gitea.Forge) {
	srv.CreateOrg(t, "platform")
	for _, name := range []string{"api", "billing", "legacy", "web", "worker"} {
		srv.CreateRepo(t, "platform", name)
	}
	srv.Do(t, "PATCH", "/repos/platform/legacy", map[string]any{"archived": true}, nil)
	srv.Do(t, "POST", "/orgs/platform/repos", map[string]any{"name": "empty"}, nil)

	got, err := f.Repositories(context.Background(), "platform")
	require.NoError(t, err)
	require.Equal(t, []fleet.Service{
		{Repository: srv.CloneURL("platform", "api"), Name: "api"},
		{Repository: srv.CloneURL("platform", "billing"), Name: "billing"},
		{Repository: srv.CloneURL("platform", "web"), Name: "web"},
		{Repository: srv.CloneURL("platform", "worker"), Name: "worker"},
	}, got, "every page (two a page), archived and empty repositories left out")

	srv.Do(t, "POST", "/user/repos", map[string]any{"name": "own", "auto_init": true, "default_branch": "main"}, nil)
	got, err = f.Repositories(context.Background(), giteatest.Admin)
	require.NoError(t, err)
	require.Equal(t, []fleet.Service{{Repository: srv.CloneURL(giteatest.Admin, "own"), Name: "own"}}, got, "a user's repositories")

	_, err = f.Repositories(context.Background(), "nobody")
	require.ErrorIs(t, err, forge.ErrNotFound)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

func testLifecycle(t *testing.T, srv *giteatest.Server, f *gitea.Forge) {
	ctx := context.Background()
	srv.CreateOrg(t, "acme")
	repo := srv.CreateRepo(t, "acme", "api")
	bump := srv.CommitFile(t, "acme", "api", "paved/bump-v1.5.0", ".github/workflows/ci.yaml", "uses: paved@v1.5.0\n")
	req := fleet.ChangeRequest{Repository: repo, Base: "main", Head: "paved/bump-v1.5.0", Title: "Bump paved to v1.5.0",
		Body: "Campaign wave canary", Labels: []string{"paved", "campaign"}}

	c, err := f.Open(ctx, req)
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeOpen, c.State)
	require.Equal(t, bump, c.Head)
	require.Equal(t, srv.URL+"/acme/api/pulls/"+c.ID, c.URL)
	var labels []struct{ Name string }
	srv.Do(t, "GET", "/repos/acme/api/issues/"+c.ID+"/labels", nil, &labels)
	require.ElementsMatch(t, []struct{ Name string }{{"paved"}, {"campaign"}}, labels, "labels created and set")

	again, err := f.Open(ctx, req)
	require.NoError(t, err)
	require.Equal(t, c, again, "an open pull request from the head is reused")

	srv.Status(t, "acme", "api", bump, "paved / build-scan-deploy", "pending", "http://ci.example/runs/1")
	srv.Status(t, "acme", "api", bump, "paved / build-scan-deploy", "success", "http://ci.example/runs/1")
	srv.Status(t, "acme", "api", bump, "lint", "failure", "http://ci.example/runs/2")
	srv.Status(t, "acme", "api", bump, "docs", "warning", "")
	checks, err := f.Checks(ctx, repo, bump)
	require.NoError(t, err)
	require.ElementsMatch(t, []fleet.Check{
		{Name: "paved / build-scan-deploy", State: fleet.CheckSuccess, URL: "http://ci.example/runs/1", Description: "paved / build-scan-deploy success"},
		{Name: "lint", State: fleet.CheckFailure, URL: "http://ci.example/runs/2", Description: "lint failure"},
		{Name: "docs", State: fleet.CheckSuccess, Description: "docs warning"},
	}, checks, "the latest status of each context, over pages")

	_, err = f.Merge(ctx, repo, c.ID, "0123456789012345678901234567890123456789", "Merge the bump")
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "not the bump 0123456789012345678901234567890123456789")

	merged := mergeEventually(t, f, repo, c.ID, bump)
	require.Equal(t, fleet.ChangeMerged, merged.State)
	require.Len(t, merged.MergeCommit, 40)
	var commit struct {
		Commit  struct{ Message string }
		Parents []struct{ SHA string }
	}
	srv.Do(t, "GET", "/repos/acme/api/git/commits/"+merged.MergeCommit, nil, &commit)
	require.Contains(t, commit.Commit.Message, "Merge paved/bump-v1.5.0 (canary)")
	require.Contains(t, commit.Commit.Message, "Paved-Campaign: paved-v1.5.0")
	require.Len(t, commit.Parents, 2, "a merge commit")
	require.Equal(t, bump, commit.Parents[1].SHA)

	got, err := f.Get(ctx, repo, c.ID)
	require.NoError(t, err)
	require.Equal(t, merged, got)
	again, err = f.Merge(ctx, repo, c.ID, bump, "again")
	require.NoError(t, err)
	require.Equal(t, merged, again, "merging a merged pull request changes nothing")
	err = f.Close(ctx, repo, c.ID, "rollback")
	require.ErrorIs(t, err, forge.ErrMerged)
}

// mergeEventually merges, retrying while Gitea is still checking the pull
// request's mergeability (a transient failure).
func mergeEventually(t *testing.T, f *gitea.Forge, repo, id, head string) fleet.Change {
	t.Helper()
	for i := 0; ; i++ {
		c, err := f.Merge(context.Background(), repo, id, head, "Merge paved/bump-v1.5.0 (canary)\n\nPaved-Campaign: paved-v1.5.0\n")
		if err == nil || failure.KindOf(err) != failure.Transient || i == 40 {
			require.NoError(t, err)
			return c
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func testClose(t *testing.T, srv *giteatest.Server, f *gitea.Forge) {
	ctx := context.Background()
	srv.CreateOrg(t, "shop")
	repo := srv.CreateRepo(t, "shop", "cart")
	srv.CommitFile(t, "shop", "cart", "paved/bump", "paved.yaml", "name: cart\n")
	c, err := f.Open(ctx, fleet.ChangeRequest{Repository: repo, Base: "main", Head: "paved/bump", Title: "Bump"})
	require.NoError(t, err)

	require.NoError(t, f.Close(ctx, repo, c.ID, "Rolled back: canary regressions"))
	got, err := f.Get(ctx, repo, c.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeClosed, got.State)
	var comments []struct{ Body string }
	srv.Do(t, "GET", "/repos/shop/cart/issues/"+c.ID+"/comments", nil, &comments)
	require.Equal(t, []struct{ Body string }{{"Rolled back: canary regressions"}}, comments)
	require.NoError(t, f.Close(ctx, repo, c.ID, "again"), "closing a closed pull request is not an error")

	_, err = f.Merge(ctx, repo, c.ID, "", "Merge")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "it is closed")

	reopened, err := f.Open(ctx, fleet.ChangeRequest{Repository: repo, Base: "main", Head: "paved/bump", Title: "Bump"})
	require.NoError(t, err)
	require.NotEqual(t, c.ID, reopened.ID, "a closed pull request is not reused: a new one is opened")

	_, err = f.Get(ctx, srv.CloneURL("shop", "missing"), "1")
	require.ErrorIs(t, err, forge.ErrNotFound)
	_, err = f.Get(ctx, repo, "x")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

func testBadToken(t *testing.T, srv *giteatest.Server) {
	const bad = "0000000000000000000000000000000000000bad"
	f, err := gitea.New(srv.API, bad)
	require.NoError(t, err)
	_, err = f.Repositories(context.Background(), "platform")
	require.ErrorIs(t, err, fleet.ErrForbidden)
	require.NotContains(t, err.Error(), bad)

	_, err = gitea.New("", srv.Token)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "no API URL")
	_, err = gitea.New(srv.API, "")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// testLostMerge: the merge call reaches Gitea but its answer is lost (a
// proxy answers 502 instead); the retried call is refused as already
// merged, and Merge reads the pull request back as merged.
func testLostMerge(t *testing.T, srv *giteatest.Server) {
	ctx := context.Background()
	srv.CreateOrg(t, "lossy")
	repo := srv.CreateRepo(t, "lossy", "api")
	bump := srv.CommitFile(t, "lossy", "api", "paved/bump", "paved.yaml", "name: api\n")
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var lost atomic.Int32
	front := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/merge") && lost.Add(1) == 1 {
			rec := &discard{header: http.Header{}}
			proxy.ServeHTTP(rec, r)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	f, err := gitea.New(front+"/api/v1", srv.Token, forge.WithRetry(3, time.Millisecond, time.Second))
	require.NoError(t, err)
	c, err := f.Open(ctx, fleet.ChangeRequest{Repository: repo, Base: "main", Head: "paved/bump", Title: "Bump"})
	require.NoError(t, err)
	merged := mergeEventually(t, f, repo, c.ID, bump)
	require.Equal(t, fleet.ChangeMerged, merged.State)
	require.GreaterOrEqual(t, lost.Load(), int32(2), "the merge was retried after the lost answer")
}

// discard is a ResponseWriter that drops the answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func httptestServer(t *testing.T, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
