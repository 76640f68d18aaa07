//go:build forge

package campaign

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/gitea"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/internal/giteatest"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestCampaignOnGitea runs a campaign over six services of a real Gitea
// organisation: pull requests opened, merged through the API, gated on the
// commit statuses CI posts on the merge commits; one failing status halts
// the campaign naming the service and its check; rollback reverts on Gitea
// with forward commits.
func TestCampaignOnGitea(t *testing.T) {
	ctx := context.Background()
	var names []string
	for i := 0; i < 6; i++ {
		names = append(names, fmt.Sprintf("svc-%03d", i))
	}
	srv, e, services := giteaCampaign(t, names...)
	require.Len(t, services, 6)
	waves, err := ParseWaves("canary:svc-000,50%,100%")
	require.NoError(t, err)
	c, err := e.Start(ctx, Spec{Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: services, Waves: waves,
		MaxInFlight: 3, Health: Health{Ratio: 1, Window: Duration(24 * time.Hour), Check: "paved / *"}})
	require.NoError(t, err)

	c = advanceUntilMerged(t, e, c.ID, 0)
	canary := c.Service("svc-000")
	require.Equal(t, srv.URL+"/fleet/svc-000/pulls/"+canary.Change.ID, canary.Change.URL)
	require.Equal(t, canary.BumpCommit, canary.Change.Head)
	require.Contains(t, c.Gate().Missing, "svc-000", "merged, no status yet")
	require.Contains(t, canary.Health.Message, `no "paved / *" result on the forge yet`)
	var main struct{ Content string }
	srv.Do(t, "GET", "/repos/fleet/svc-000/contents/.github/workflows/paved.yml?ref=main", nil, &main)
	require.NotEmpty(t, main.Content)

	// CI reports on the merge commit, the way a CI integration does.
	srv.Status(t, "fleet", "svc-000", canary.Change.MergeCommit, "paved / build-scan-deploy (push)", "pending", "http://ci.example/1")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 0, c.Wave)
	require.Contains(t, c.Service("svc-000").Health.Message, "is still pending")
	srv.Status(t, "fleet", "svc-000", canary.Change.MergeCommit, "paved / build-scan-deploy (push)", "success", "http://ci.example/1")

	c = advanceUntilMerged(t, e, c.ID, 1)
	v := c.Service("svc-000").Health
	require.Equal(t, Verdict{Status: HealthOK, Evidence: EvidenceCheck, Commit: canary.Change.MergeCommit,
		Step: "paved / build-scan-deploy (push)", URL: "http://ci.example/1", Message: "paved / build-scan-deploy (push) success"}, *v)

	wave2 := c.InWave(1)
	require.Len(t, wave2, 2)
	for _, s := range wave2 {
		state := "success"
		if s.Name == wave2[1].Name {
			state = "failure"
		}
		srv.Status(t, "fleet", s.Name, s.Change.MergeCommit, "paved / build-scan-deploy (push)", state, "http://ci.example/"+s.Name)
	}
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Equal(t, failure.Policy, failure.KindOf(err), "%v", err)
	require.Equal(t, Halted, c.State)
	require.Contains(t, c.Reason, wave2[1].Name+" failed at step paved / build-scan-deploy (push)")

	c, err = e.Rollback(ctx, c.ID, "canary regressions")
	require.NoError(t, err)
	for _, s := range c.Services {
		if s.Wave > 1 {
			require.Equal(t, Pending, s.Status, s.Name)
			continue
		}
		require.Equal(t, Reverted, s.Status, s.Name)
		srv.Do(t, "GET", "/repos/fleet/"+s.Name+"/contents/.github/workflows/paved.yml?ref=main", nil, &main)
		require.Equal(t, oldWorkflow, fromBase64(t, main.Content), s.Name)
		var commits []struct{ SHA string }
		srv.Do(t, "GET", "/repos/fleet/"+s.Name+"/commits?sha=main&limit=50", nil, &commits)
		require.Contains(t, shas(commits), s.Change.MergeCommit, "history intact: the merge is still there")
		require.Contains(t, shas(commits), s.RevertCommit)
	}
}

// giteaCampaign starts a Gitea whose organisation fleet has a repository
// per name, each pinning the old paved in its workflow, and returns it, a
// campaign engine on it (state in a local repository) and its services.
func giteaCampaign(t *testing.T, names ...string) (*giteatest.Server, *Engine, []fleet.Service) {
	t.Helper()
	srv := giteatest.Start(t)
	srv.CreateOrg(t, "fleet")
	for _, name := range names {
		srv.CreateRepo(t, "fleet", name)
		srv.CommitFile(t, "fleet", name, "main", ".github/workflows/paved.yml", oldWorkflow)
	}
	g, err := gitea.New(srv.API, srv.Token, forge.WithRetry(2, time.Millisecond, time.Second))
	require.NoError(t, err)
	services, err := g.Repositories(context.Background(), "fleet")
	require.NoError(t, err)
	tf := newTestFleet(t, 0)
	return srv, New(tf.store(), WithChanges(g), WithGitAuth(&githttp.BasicAuth{Username: giteatest.Admin, Password: srv.Token})), services
}

// advanceUntilMerged advances until wave w's pull requests are all merged:
// Gitea checks a new pull request's mergeability in the background and
// refuses to merge until it has (a transient failure, retried by advance).
func advanceUntilMerged(t *testing.T, e *Engine, id string, w int) *Campaign {
	t.Helper()
	for i := 0; ; i++ {
		c, err := e.Advance(context.Background(), id, AdvanceOptions{AutoMerge: true})
		if err != nil && failure.KindOf(err) != failure.Transient {
			require.NoError(t, err)
		}
		merged := c.Wave >= w
		for _, s := range c.InWave(w) {
			merged = merged && s.Status == Merged && s.Change != nil && s.Change.State == fleet.ChangeMerged
		}
		if merged && c.Wave == w {
			return c
		}
		require.Less(t, i, 40, "wave %d not merged: %v", w, err)
		time.Sleep(250 * time.Millisecond)
	}
}

func fromBase64(t *testing.T, b64 string) string {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	return string(data)
}

func shas(commits []struct{ SHA string }) []string {
	var out []string
	for _, c := range commits {
		out = append(out, c.SHA)
	}
	return out
}
