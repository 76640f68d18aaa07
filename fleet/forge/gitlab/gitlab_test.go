package gitlab_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/gitlab"
	"github.com/paved-dev/paved/pipelines/failure"
)

const token = "glpat-testtoken0123456789"

func newForge(t *testing.T, f *fakeGitLab, tok string) *gitlab.Forge {
	t.Helper()
	g, err := gitlab.New(tok, forge.WithBaseURL(f.srv.URL+"/api/v4"), forge.WithRetry(3, time.Millisecond, time.Second),
		forge.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	require.NoError(t, err)
	return g
}

func TestRepositories(t *testing.T) {
	f := newFakeGitLab(t, token)
	f.groups["platform"] = []string{"platform/api", "platform/services/billing", "platform/services/legacy", "platform/web"}
	f.archived["platform/services/legacy"] = true
	g := newForge(t, f, token)

	got, err := g.Repositories(context.Background(), "platform")
	require.NoError(t, err)
	require.Equal(t, []fleet.Service{
		{Repository: "https://gitlab.example.com/platform/api.git", Name: "api"},
		{Repository: "https://gitlab.example.com/platform/services/billing.git", Name: "billing"},
		{Repository: "https://gitlab.example.com/platform/web.git", Name: "web"},
	}, got, "every page and subgroup, archived projects left out")
	require.Len(t, f.calls, 2)
	require.Contains(t, f.calls[1], "page=2")

	f.groups["platform/services"] = []string{"platform/services/billing"}
	got, err = g.Repositories(context.Background(), "platform/services")
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Contains(t, f.calls[2], "/groups/platform%2Fservices/projects?", "a group path is one encoded segment")

	_, err = g.Repositories(context.Background(), "nobody")
	require.ErrorIs(t, err, forge.ErrNotFound)
	require.Contains(t, err.Error(), "404 Group Not Found")
}

func TestMergeRequestLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitLab(t, token)
	g := newForge(t, f, token)
	req := fleet.ChangeRequest{Repository: "git@gitlab.example.com:platform/services/api.git", Base: "main", Head: "paved/bump-v1.5.0",
		Title: "Bump paved to v1.5.0", Body: "Campaign wave 1", Labels: []string{"paved", "campaign"}}

	c, err := g.Open(ctx, req)
	require.NoError(t, err)
	require.Equal(t, fleet.Change{ID: "1", URL: "https://gitlab.example.com/platform/services/api/-/merge_requests/1", State: fleet.ChangeOpen, Head: "8888888888888888888888888888888888888888"}, c, "the head is the source branch tip (sha)")
	require.Equal(t, []string{"paved", "campaign"}, f.mrs["platform/services/api"][0]["labels"])
	require.Contains(t, f.calls, "POST /api/v4/projects/platform%2Fservices%2Fapi/merge_requests")

	again, err := g.Open(ctx, req)
	require.NoError(t, err)
	require.Equal(t, c, again, "an open merge request from the same branch is reused")
	require.Len(t, f.mrs["platform/services/api"], 1)
	require.Contains(t, f.calls, "GET /api/v4/projects/platform%2Fservices%2Fapi/merge_requests?source_branch=paved%2Fbump-v1.5.0&state=opened")

	got, err := g.Get(ctx, req.Repository, c.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeOpen, got.State)

	f.merge("platform/services/api", 1, "0123456789abcdef0123456789abcdef01234567")
	got, err = g.Get(ctx, "https://gitlab.example.com/platform/services/api.git", c.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.Change{ID: "1", URL: c.URL, State: fleet.ChangeMerged, MergeCommit: "0123456789abcdef0123456789abcdef01234567", Head: "8888888888888888888888888888888888888888"}, got)
	err = g.Close(ctx, req.Repository, c.ID, "rolled back")
	require.ErrorIs(t, err, forge.ErrMerged)

	req.Head = "paved/bump-v1.6.0"
	ff, err := g.Open(ctx, req)
	require.NoError(t, err)
	f.merge("platform/services/api", 2, "")
	got, err = g.Get(ctx, req.Repository, ff.ID)
	require.NoError(t, err)
	require.Equal(t, "8888888888888888888888888888888888888888", got.MergeCommit, "a fast-forward merge is merged at the head")

	req.Head = "paved/bump-v1.7.0"
	c3, err := g.Open(ctx, req)
	require.NoError(t, err)
	require.NoError(t, g.Close(ctx, req.Repository, c3.ID, "Campaign halted: wave 2 failed"))
	got, err = g.Get(ctx, req.Repository, c3.ID)
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeClosed, got.State)
	require.NoError(t, g.Close(ctx, req.Repository, c3.ID, "again"), "closing a closed merge request is not an error")
	require.Equal(t, []string{"Campaign halted: wave 2 failed"}, f.notes["platform/services/api!3"])
}

func TestErrorsNameTheCallAndHideTheToken(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitLab(t, token)
	g := newForge(t, f, "glpat-wrongtoken")
	err := g.Close(ctx, "https://gitlab.example.com/platform/api.git", "4", "bye")
	require.ErrorIs(t, err, fleet.ErrForbidden)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "merge request platform/api!4")
	require.Contains(t, err.Error(), "GET /api/v4/projects/platform%2Fapi/merge_requests/4")
	require.Contains(t, err.Error(), "read_api scope")
	require.NotContains(t, err.Error(), "glpat-wrongtoken")

	_, err = newForge(t, f, token).Get(ctx, "https://gitlab.example.com/platform/api.git", "!4")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
