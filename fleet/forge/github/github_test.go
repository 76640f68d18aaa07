package github_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/github"
	"github.com/paved-dev/paved/pipelines/failure"
)

const token = "ghp_testtoken0123456789"

func newForge(t *testing.T, f *fakeGitHub, tok string) *github.Forge {
	t.Helper()
	g, err := github.New(tok, forge.WithBaseURL(f.srv.URL), forge.WithRetry(3, time.Millisecond, time.Second),
		forge.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	require.NoError(t, err)
	return g
}

func TestRepositories(t *testing.T) {
	f := newFakeGitHub(t, token)
	f.orgs["acme"] = []string{"api", "web", "old", "worker", "billing"}
	f.archived["old"] = true
	f.orgs["solo"], f.users["solo"] = []string{"tool"}, true
	g := newForge(t, f, token)

	got, err := g.Repositories(context.Background(), "acme")
	require.NoError(t, err)
	require.Equal(t, []fleet.Service{
		{Repository: "https://github.com/acme/api.git", Name: "api"},
		{Repository: "https://github.com/acme/web.git", Name: "web"},
		{Repository: "https://github.com/acme/worker.git", Name: "worker"},
		{Repository: "https://github.com/acme/billing.git", Name: "billing"},
	}, got, "every page, archived repositories left out")
	require.Equal(t, []string{
		"GET /orgs/acme/repos?per_page=100&type=all",
		"GET /orgs/acme/repos?page=2&per_page=100&type=all",
		"GET /orgs/acme/repos?page=3&per_page=100&type=all",
	}, f.calls, "go-github reads the page number of the Link header's next link")

	got, err = g.Repositories(context.Background(), "solo")
	require.NoError(t, err, "a user account is listed when there is no such organisation")
	require.Equal(t, []fleet.Service{{Repository: "https://github.com/solo/tool.git", Name: "tool"}}, got)

	_, err = g.Repositories(context.Background(), "nobody")
	require.ErrorIs(t, err, forge.ErrNotFound)
	require.Contains(t, err.Error(), `GitHub organisation "nobody"`)
}

func TestPullRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t, token)
	g := newForge(t, f, token)
	req := fleet.ChangeRequest{Repository: "git@github.com:acme/api.git", Base: "main", Head: "paved/bump-v1.5.0",
		Title: "Bump paved to v1.5.0", Body: "Campaign wave 1", Labels: []string{"paved", "campaign"}}

	c, err := g.Open(ctx, req)
	require.NoError(t, err)
	require.Equal(t, fleet.Change{ID: "1347", URL: "https://github.com/acme/api/pull/1347", State: fleet.ChangeOpen}, c)
	require.Equal(t, []string{"paved", "campaign"}, f.labels["acme/api#1347"])

	again, err := g.Open(ctx, req)
	require.NoError(t, err)
	require.Equal(t, c, again, "an open pull request from the same head is reused")
	require.Len(t, f.pulls["acme/api"], 1)
	require.Contains(t, f.calls, "GET /repos/acme/api/pulls?head=acme%3Apaved%2Fbump-v1.5.0&state=open")

	got, err := g.Get(ctx, req.Repository, c.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeOpen, got.State)
	require.Empty(t, got.MergeCommit, "the test merge commit of an open pull request is not its merge")

	f.merge("acme/api", 1347, "0123456789abcdef0123456789abcdef01234567")
	got, err = g.Get(ctx, "https://github.com/acme/api", c.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.Change{ID: "1347", URL: c.URL, State: fleet.ChangeMerged, MergeCommit: "0123456789abcdef0123456789abcdef01234567"}, got)

	err = g.Close(ctx, req.Repository, c.ID, "rolled back")
	require.ErrorIs(t, err, forge.ErrMerged)
	require.Equal(t, failure.BadInput, failure.KindOf(err))

	req.Head = "paved/bump-v1.6.0"
	c2, err := g.Open(ctx, req)
	require.NoError(t, err)
	require.NoError(t, g.Close(ctx, req.Repository, c2.ID, "Campaign halted: wave 2 failed"))
	got, err = g.Get(ctx, req.Repository, c2.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeClosed, got.State)
	require.NoError(t, g.Close(ctx, req.Repository, c2.ID, "again"), "closing a closed pull request is not an error")
	require.Equal(t, []string{"Campaign halted: wave 2 failed"}, f.comments["acme/api#1348"])
}

func TestErrorsNameTheCallAndHideTheToken(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t, token)
	g := newForge(t, f, "ghp_wrongtoken")
	_, err := g.Open(ctx, fleet.ChangeRequest{Repository: "https://github.com/acme/api.git", Base: "main", Head: "b", Title: "t"})
	require.ErrorIs(t, err, fleet.ErrForbidden)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "acme/api")
	require.Contains(t, err.Error(), "GET /repos/acme/api/pulls")
	require.Contains(t, err.Error(), "Pull requests read and write")
	require.NotContains(t, err.Error(), "ghp_wrongtoken")

	_, err = g.Get(ctx, "https://github.com/acme/api.git", "abc")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	_, err = g.Get(ctx, "https://github.com/acme", "1")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	_, err = github.New("")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
