//go:build forge

package campaign

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/internal/giteatest"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestAutoMergeWaitsForAGreenHead: on a real Gitea, auto-merge merges a
// change whose health check passed on its head (another check still
// running there is not waited for), waits for one whose health check still
// runs, and leaves one with a failed check unmerged: that service fails
// with the check named and the wave's gate halts the campaign; resumed
// after a green run, the campaign merges it. A rollback closes a red pull
// request left open.
func TestAutoMergeWaitsForAGreenHead(t *testing.T) {
	ctx := context.Background()
	srv, e, services := giteaCampaign(t, "green", "red")
	waves, err := ParseWaves("100%")
	require.NoError(t, err)
	c, err := e.Start(ctx, Spec{Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: services, Waves: waves,
		MaxInFlight: 2, Health: Health{Ratio: 1, Window: Duration(24 * time.Hour), Check: "paved / *"}})
	require.NoError(t, err)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	green, red := c.Service("green"), c.Service("red")
	const check = "paved / build-scan-deploy (pull_request)"
	srv.Status(t, "fleet", "green", green.BumpCommit, "docs preview", "pending", "http://ci.example/green/docs") // not the health check: not waited for
	srv.Status(t, "fleet", "green", green.BumpCommit, check, "success", "http://ci.example/green")
	srv.Status(t, "fleet", "red", red.BumpCommit, check, "pending", "http://ci.example/red")

	// Gitea checks a new pull request's mergeability in the background:
	// until it has, a merge is refused as transient and retried.
	for i := 0; c.Service("green").Status != Merged; i++ {
		require.Less(t, i, 40, "green not merged")
		time.Sleep(250 * time.Millisecond)
		c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
		if failure.KindOf(err) != failure.Transient {
			require.NoError(t, err)
		}
	}
	require.Equal(t, Opened, c.Service("red").Status, "its CI still runs: auto-merge waits")
	require.Equal(t, "open", pullState(t, srv, "red", red.Change.ID))

	srv.Status(t, "fleet", "red", red.BumpCommit, check, "failure", "http://ci.example/red")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Equal(t, failure.Policy, failure.KindOf(err), "%v", err)
	require.Equal(t, Halted, c.State)
	s := c.Service("red")
	require.Equal(t, Failed, s.Status)
	require.Equal(t, failure.Policy.String(), s.ErrorKind)
	require.Contains(t, s.Error, check+" failed on the change's head "+short(red.BumpCommit))
	require.Contains(t, s.Error, "http://ci.example/red")
	require.Equal(t, &Verdict{Status: HealthFailed, Evidence: EvidenceCheck, Commit: red.BumpCommit, Step: check, URL: "http://ci.example/red", Message: check + " failure"}, s.Health)
	require.Equal(t, "open", pullState(t, srv, "red", red.Change.ID), "a red change is left for its team")
	require.Equal(t, []string{"red"}, c.Gate().BumpFailed)
	require.Equal(t, []string{"green"}, c.Gate().OK, "green's head result counts until its merge has one")
	require.Contains(t, c.Reason, "red was not merged: "+check+" failed")
	require.Equal(t, "not merged: "+s.Error, why(s))

	// Its CI passes on a new run; resumed, the campaign merges it.
	srv.Status(t, "fleet", "red", red.BumpCommit, check, "success", "http://ci.example/red/2")
	_, err = e.Resume(ctx, c.ID)
	require.NoError(t, err)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, Merged, c.Service("red").Status)
	require.Equal(t, "closed", pullState(t, srv, "red", red.Change.ID), "merged")
	require.Equal(t, Done, c.State)

	// A red change left open is what a rollback closes.
	srv, e, services = giteaCampaign(t, "left")
	c, err = e.Start(ctx, Spec{Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: services, Waves: waves,
		MaxInFlight: 1, Health: Health{Ratio: 1, Window: Duration(24 * time.Hour), Check: "paved / *"}})
	require.NoError(t, err)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	left := c.Service("left")
	srv.Status(t, "fleet", "left", left.BumpCommit, "lint", "failure", "http://ci.example/left")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Equal(t, failure.Policy, failure.KindOf(err), "%v", err)
	require.Contains(t, c.Reason, "left was not merged: lint failed", "any failed check, not only the health check")
	c, err = e.Rollback(ctx, c.ID, "red change")
	require.NoError(t, err)
	require.Equal(t, Closed, c.Service("left").Status)
	require.Equal(t, "closed", pullState(t, srv, "left", left.Change.ID))
}

// pullState is the state of pull request id of fleet/repo on srv.
func pullState(t *testing.T, srv *giteatest.Server, repo, id string) string {
	t.Helper()
	var pr struct{ State string }
	srv.Do(t, "GET", fmt.Sprintf("/repos/fleet/%s/pulls/%s", repo, id), nil, &pr)
	return pr.State
}
