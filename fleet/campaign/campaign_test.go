package campaign

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

func TestCampaign(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		failing []int // services of wave 2 whose run fails
		long    bool
	}{
		{name: "10 repositories", n: 10, failing: []int{3}},
		{name: "100 repositories", n: 100, failing: []int{7, 21, 40}, long: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("100 repositories: run without -short")
			}
			runCampaign(t, tc.n, tc.failing)
		})
	}
}

// runCampaign plays the scenario: canary, wave 2 with failing runs
// halts the campaign, rollback restores every repository with history.
func runCampaign(t *testing.T, n int, failing []int) {
	ctx := context.Background()
	tf := newTestFleet(t, n)
	waves, err := ParseWaves("canary:5%,50%,100%")
	require.NoError(t, err)
	e := New(tf.store())
	c, err := e.Start(ctx, Spec{
		Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: tf.services, Waves: waves,
		MaxInFlight: 8, Health: Health{Ratio: 0.95, Window: Duration(24 * time.Hour)},
	})
	require.NoError(t, err)
	require.Equal(t, "paved-v0.3.0", c.ID)
	canary := len(c.Waves[0].Services)
	require.Equal(t, (n*5+99)/100, canary)

	// Canary: bumps opened and merged; the gate waits for run records.
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 0, c.Wave)
	g := c.Gate()
	require.Equal(t, canary, g.Merged)
	require.Len(t, g.Missing, canary)
	for i := 0; i < canary; i++ {
		file, _, bumped := wrapperFile(i)
		require.Equal(t, bumped, fleettest.ReadFile(t, tf.repos[i].Dir, "main", file))
	}
	require.Equal(t, oldWorkflow, fleettest.ReadFile(t, tf.repos[n-1].Dir, "main", ".github/workflows/paved.yml"), "wave 3 is untouched")

	// A run of the old version does not count.
	tf.report(t, 0, "v0.2.0", "ok", "")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 0, c.Wave)

	for i := 0; i < canary; i++ {
		tf.report(t, i, "v0.3.0", "ok", "")
	}
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 1, c.Wave, "the canary passed")
	wave2 := c.InWave(1)
	require.Len(t, wave2, n/2-canary)
	for _, s := range wave2 {
		require.Equal(t, Merged, s.Status, s.Name)
	}

	// Wave 2: a few runs fail at the scan step.
	bad := map[int]bool{}
	for _, i := range failing {
		bad[i] = true
	}
	for i := canary; i < n/2; i++ {
		if bad[i] {
			tf.report(t, i, "v0.3.0", "failed", "scan")
		} else {
			tf.report(t, i, "v0.3.0", "ok", "")
		}
	}
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Equal(t, Halted, c.State)
	for _, i := range failing {
		require.Contains(t, c.Reason, tf.services[i].Name+" failed at step scan")
	}
	_, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted, "a halted campaign stays halted")

	// Rollback: forward reverts, every repository back on v0.2.0.
	c, err = e.Rollback(ctx, c.ID, "")
	require.NoError(t, err)
	require.Equal(t, RolledBack, c.State)
	for i, r := range tf.repos {
		file, old, _ := wrapperFile(i)
		require.Equal(t, old, fleettest.ReadFile(t, r.Dir, "main", file), tf.services[i].Name)
		log := fleettest.Log(t, r.Dir, "main")
		require.Equal(t, tf.first[i], log[len(log)-1].Hash.String(), "history intact")
		s := c.Service(tf.services[i].Name)
		if i >= n/2 {
			require.Equal(t, Pending, s.Status)
			require.NotContains(t, fleettest.Branches(t, r.Dir), Branch(c.ID))
			continue
		}
		require.Equal(t, Reverted, s.Status)
		var msgs []string
		for _, cm := range log {
			msgs = append(msgs, cm.Hash.String()+" "+strings.SplitN(cm.Message, "\n", 2)[0])
		}
		all := strings.Join(msgs, "\n")
		require.Contains(t, all, s.BumpCommit+" chore(paved): move to paved v0.3.0", "the bump is in the history")
		require.Contains(t, all, s.RevertCommit+" Revert paved campaign "+c.ID)
	}

	// The state repository recorded every transition with trailers.
	log := fleettest.Log(t, tf.state.Dir, "main")
	require.Contains(t, log[0].Message, "Paved-Transition: rolled-back")
	require.Contains(t, fleettest.ReadFile(t, tf.state.Dir, "main", File(c.ID)), "state: rolled-back")
}
