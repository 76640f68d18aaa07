package campaign

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
)

// unbumpable gives service i a second workflow pinned to a branch, which
// no campaign can move: its bump fails as bad input.
func unbumpable(tb testing.TB, tf *testFleet, i int) {
	tb.Helper()
	fleettest.Append(tb, tf.repos[i].Dir, "main", "ci: pin a branch", map[string]string{
		".github/workflows/extra.yml": "jobs:\n  x:\n    uses: paved-dev/paved/.github/workflows/x.yml@main\n",
	})
}

// reportAt commits a run record of paved v0.3.0 for service i's tip that
// finished at the given time.
func reportAt(tb testing.TB, tf *testFleet, i int, status string, at time.Time) {
	tb.Helper()
	dir := tf.repos[i].Dir
	commit := fleettest.Tip(tb, dir, "main")
	rec := record.RunStatus{SchemaVersion: record.RunStatusSchema, Commit: commit, PavedVersion: "v0.3.0", Status: status, FinishedAt: at.UTC()}
	if status != "ok" {
		rec.Step, rec.Message = "scan", "1 CRITICAL vulnerability"
	}
	data, err := json.Marshal(rec)
	require.NoError(tb, err)
	fleettest.Append(tb, dir, "main", "ci: run record", map[string]string{RunsDir + "/" + commit + ".json": string(data)})
}

func startRatio(t *testing.T, e *Engine, tf *testFleet, waves string, ratio float64) *Campaign {
	t.Helper()
	specs, err := ParseWaves(waves)
	require.NoError(t, err)
	c, err := e.Start(context.Background(), Spec{
		Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: tf.services, Waves: specs,
		MaxInFlight: 4, Health: Health{Ratio: ratio, Window: Duration(3 * time.Hour)},
	})
	require.NoError(t, err)
	return c
}

func TestGateCountsFailedBumps(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 4)
	for i := 1; i < 4; i++ {
		unbumpable(t, tf, i)
	}
	e := New(tf.store())
	c := startRatio(t, e, tf, "canary:100%", 1)

	// Three of the four canary bumps fail: one healthy service cannot
	// carry the wave, the campaign halts saying why.
	c, err := e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Equal(t, Halted, c.State)
	for _, name := range []string{"svc-001", "svc-002", "svc-003"} {
		require.Contains(t, c.Reason, name+" could not be bumped")
	}
	require.Contains(t, c.Reason, "3 of 4 services failed")
	tf.report(t, 0, "v0.3.0", "ok", "")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted)
	require.NotEqual(t, Done, c.State)
}

func TestGateHaltsWhenEveryBumpFailed(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 2)
	unbumpable(t, tf, 0)
	unbumpable(t, tf, 1)
	e := New(tf.store())
	c := startRatio(t, e, tf, "canary:100%", 0.5)

	c, err := e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted, "a wave of failed bumps halts instead of waiting for nobody")
	require.Equal(t, Halted, c.State)
	require.Contains(t, c.Reason, "svc-000 could not be bumped")
	require.Contains(t, c.Reason, "not a release version")
}

// TestGateLateMerge: a canary bump that failed and merged on a retry
// during wave 2 is health-checked with wave 2.
func TestGateLateMerge(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 4)
	unbumpable(t, tf, 1)
	e := New(tf.store())
	c := startRatio(t, e, tf, "canary:svc-000+svc-001,100%", 0.5)

	c, err := e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Equal(t, failure.BadInput, failure.KindOf(err), "svc-001's bump failed")
	require.Equal(t, 0, c.Wave)
	tf.report(t, 0, "v0.3.0", "ok", "")
	c, _ = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Equal(t, 1, c.Wave, "one of two healthy passes the canary at ratio 0.5")

	// svc-001 is fixed and merges on the next retry, during wave 2.
	fleettest.Append(t, tf.repos[1].Dir, "main", "ci: pin a release", map[string]string{
		".github/workflows/extra.yml": "jobs:\n  x:\n    uses: paved-dev/paved/.github/workflows/x.yml@v0.2.0\n",
	})
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, Merged, c.Service("svc-001").Status)
	g := c.Gate()
	require.Equal(t, []string{"svc-001"}, g.Late)
	require.ElementsMatch(t, []string{"svc-001", "svc-002", "svc-003"}, g.Missing)

	tf.report(t, 1, "v0.3.0", "failed", "scan")
	tf.report(t, 2, "v0.3.0", "failed", "scan")
	tf.report(t, 3, "v0.3.0", "ok", "")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted, "1 of 3 healthy, the late merge counted")
	require.Contains(t, c.Reason, "svc-001 failed at step scan")
	require.Equal(t, HealthFailed, c.Service("svc-001").Health.Status)
}

// TestGateOneWindow: the health window runs from the wave's last merge
// for every service of the wave, so a run of the first merged service
// that finished after its own merge + window still counts.
func TestGateOneWindow(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 2)
	t0 := time.Now().UTC()
	clock := t0
	forge := &forgeChanges{opened: map[string]fleet.Change{}}
	e := New(tf.store(), WithChanges(forge), WithSignature(gitrepo.Signature{Now: func() time.Time { return clock }}))
	c := startRatio(t, e, tf, "100%", 1)

	c, err := e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	forge.merge(t, tf.repos[0].Dir, Branch(c.ID))
	_, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	clock = t0.Add(2 * time.Hour)
	forge.merge(t, tf.repos[1].Dir, Branch(c.ID))
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	require.Equal(t, Merged, c.Service("svc-001").Status)

	// Both runs finish 4h after the first merge: inside the wave's window
	// (last merge + 3h), outside svc-000's own.
	reportAt(t, tf, 0, "ok", t0.Add(4*time.Hour))
	reportAt(t, tf, 1, "ok", t0.Add(4*time.Hour))
	clock = t0.Add(4*time.Hour + 30*time.Minute)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	require.Equal(t, Done, c.State, c.Gate())

	require.Equal(t, HealthOK, c.Service("svc-000").Health.Status)
}

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	mk := func(services ...Service) *Campaign {
		return &Campaign{
			ID: "x", State: Running, Wave: 0, Health: Health{Ratio: 1, Window: Duration(time.Hour)},
			Waves: []Wave{{Name: "canary", StartedAt: &t0}, {Name: "wave-2"}}, Services: services,
		}
	}
	retrying := Service{Name: "a", Wave: 0, Status: Failed, Error: "pushing: connection refused", ErrorKind: failure.Transient.String()}
	tests := []struct {
		name   string
		c      *Campaign
		now    time.Time
		action string
		detail string
	}{
		{"a transient bump failure waits, saying so", mk(retrying), t0.Add(time.Minute), "health", "retrying the bump of a (pushing: connection refused)"},
		{"not past the window forever", mk(retrying), t0.Add(2 * time.Hour), "halted", "retrying the bump of a"},
		{"a failed bump counts against the ratio", mk(Service{Name: "a", Status: Failed, Error: "no pin", ErrorKind: failure.BadInput.String()},
			Service{Name: "b", Status: Merged, MergedAt: &t0, Health: &Verdict{Status: HealthOK}}), t0.Add(time.Minute), "halted", "a could not be bumped (no pin)"},
		{"nothing to move passes", mk(Service{Name: "a", Status: Current}), t0, "advanced", "wave canary passed (0 of 0 healthy)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			action, detail := decide(tc.c, tc.now)
			require.Equal(t, tc.action, action)
			require.Contains(t, detail, tc.detail)
		})
	}
}

// TestRanTargetBases: a base campaign counts a run that names the new
// base's digest, not one on another digest, and one that names no bases
// only as unverified.
func TestRanTargetBases(t *testing.T) {
	c := &Campaign{Target: rewrite.Target{Kind: pin.Base, From: "python-base:1.0", To: fixedBase}}
	tests := []struct {
		name             string
		bases            []string
		counts, verified bool
	}{
		{"the new digest", []string{"registry.example.com/platform/python-base@" + fixedDigest}, true, true},
		{"a bare digest", []string{fixedDigest}, true, true},
		{"the old digest", []string{"registry.example.com/platform/python-base@" + oldDigest}, false, false},
		{"no bases reported", nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			counts, verified := ranTarget(c, record.RunStatus{Status: "ok", Bases: tc.bases})
			require.Equal(t, tc.counts, counts)
			require.Equal(t, tc.verified, verified)
		})
	}
	g := (&Campaign{Wave: 0, Waves: []Wave{{Name: "canary"}}, Services: []Service{
		{Name: "a", Status: Merged, Health: &Verdict{Status: HealthOK, Unverified: true}},
	}}).Gate()
	require.Equal(t, []string{"a"}, g.Unverified)
}
