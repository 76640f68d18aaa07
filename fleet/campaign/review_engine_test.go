package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

const wfPath = ".github/workflows/paved.yml"

// mergeVia merges branch into base of the remote dir by hand, as a
// developer would: a merge commit on base (base moved first, so it is not
// a fast-forward).
func mergeVia(t *testing.T, dir, base, branch string) plumbing.Hash {
	t.Helper()
	ctx := context.Background()
	r, err := gitrepo.Clone(ctx, dir, base, nil, branch)
	require.NoError(t, err)
	h, err := r.Merge(ctx, branch, "Merge "+branch+" into "+base, gitrepo.Signature{Name: "dev"})
	require.NoError(t, err)
	return h
}

// pushBranch commits files on top of from and pushes them as branch.
func pushBranch(t *testing.T, dir, branch string, from plumbing.Hash, files map[string][]byte) plumbing.Hash {
	t.Helper()
	ctx := context.Background()
	r, err := gitrepo.Clone(ctx, dir, "", nil, branch)
	require.NoError(t, err)
	h, err := r.Write([]plumbing.Hash{from}, files, "work on "+branch, gitrepo.Signature{Name: "dev"})
	require.NoError(t, err)
	require.NoError(t, r.Push(ctx, branch, h))
	return h
}

// TestRollbackRevertsExactlyTheBump: the campaign branch reached main
// through a feature branch; rollback reverts the bump and nothing of the
// feature.
func TestRollbackRevertsExactlyTheBump(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	c, err := e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	s := c.Service("svc-000")
	require.Equal(t, Opened, s.Status)

	dir := tf.repos[0].Dir
	fleettest.Append(t, dir, "main", "other work", map[string]string{"other.txt": "other\n"})
	pushBranch(t, dir, "feature", plumbing.NewHash(fleettest.Tip(t, dir, "main")), map[string][]byte{"feature.txt": []byte("feature\n")})
	mergeVia(t, dir, "feature", Branch(c.ID))
	fleettest.Append(t, dir, "main", "more work", map[string]string{"more.txt": "more\n"})
	mergeVia(t, dir, "main", "feature")
	require.Equal(t, newWorkflow, fleettest.ReadFile(t, dir, "main", wfPath))

	c, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	require.Equal(t, Merged, c.Service("svc-000").Status)

	c, err = e.Rollback(ctx, c.ID, "undo")
	require.NoError(t, err)
	require.Equal(t, RolledBack, c.State)
	require.Equal(t, oldWorkflow, fleettest.ReadFile(t, dir, "main", wfPath))
	require.Equal(t, "feature\n", fleettest.ReadFile(t, dir, "main", "feature.txt"), "the feature stays")
	require.Equal(t, "more\n", fleettest.ReadFile(t, dir, "main", "more.txt"))
	log := fleettest.Log(t, dir, "main")
	require.Contains(t, log[0].Message, gitrepo.RevertLine(plumbing.NewHash(s.BumpCommit)))
}

// TestMergeNotFoundIsNotTheTip: a merge the base's first parents do not
// show is reported as not found, never as the base tip.
func TestMergeNotFoundIsNotTheTip(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	dir := tf.repos[0].Dir
	main := plumbing.NewHash(fleettest.Tip(t, dir, "main"))
	pushBranch(t, dir, "bump", main, map[string][]byte{wfPath: []byte(newWorkflow)})
	pushBranch(t, dir, "feature", main, map[string][]byte{"feature.txt": []byte("feature\n")})
	mergeVia(t, dir, "feature", "bump")
	fleettest.Append(t, dir, "main", "more work", map[string]string{"more.txt": "more\n"})
	mergeVia(t, dir, "main", "feature")

	r, err := gitrepo.Clone(ctx, dir, "", nil, "bump")
	require.NoError(t, err)
	ch, err := r.Change("bump")
	require.NoError(t, err)
	require.Equal(t, "merged", string(ch.State))
	require.Empty(t, ch.MergeCommit, "not the tip of main")
	h, err := r.Merge(ctx, "bump", "merge", gitrepo.Signature{})
	require.NoError(t, err)
	require.True(t, h.IsZero())
}

// TestMergeRefusesChangedBranch: a commit pushed onto the campaign branch
// after the bump is not merged under paved's name.
func TestMergeRefusesChangedBranch(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	c, err := e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	dir := tf.repos[0].Dir
	before := fleettest.Tip(t, dir, "main")
	fleettest.Append(t, dir, Branch(c.ID), "sneak in", map[string]string{"extra.txt": "extra\n"})

	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorIs(t, err, ErrBranchChanged)
	require.Equal(t, before, fleettest.Tip(t, dir, "main"), "nothing merged")
	s := c.Service("svc-000")
	require.Equal(t, Opened, s.Status)
	require.Contains(t, s.Error, "merge it by hand")
}

// TestDenialOnlyWhenDoneAndLiftedByRollback: the old base is denied only
// once every wave passed, and rollback lifts the denial with a forward
// commit in the policy repository.
func TestDenialOnlyWhenDoneAndLiftedByRollback(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 3)
	platform := fleettest.NewRepo(t, tf.dir, "platform", map[string]string{"policy.yaml": policyYAML})
	e := New(tf.store())
	waves, err := ParseWaves("canary:svc-000,100%")
	require.NoError(t, err)
	c, err := e.Start(ctx, Spec{
		Target:   rewrite.Target{Kind: pin.Base, From: "python-base:1.0", To: fixedBase},
		Services: tf.services, Waves: waves, MaxInFlight: 2,
		Health: Health{Ratio: 1, Window: Duration(24 * time.Hour)},
		Policy: &PolicyFile{Repository: platform.Dir, Path: "policy.yaml"},
	})
	require.NoError(t, err)
	deny := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	first := fleettest.Tip(t, platform.Dir, "main")
	reported := map[string]bool{}
	for try := 0; c.State == Running; try++ {
		require.Less(t, try, 5)
		c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true, DenyOldBaseFrom: deny})
		require.NoError(t, err)
		if c.State != Running {
			break
		}
		require.Nil(t, c.Denial, "no denial while wave %d runs", c.Wave)
		require.Equal(t, first, fleettest.Tip(t, platform.Dir, "main"))
		for _, s := range c.InWave(c.Wave) {
			if s.Status == Merged && !reported[s.Name] {
				reported[s.Name] = true
				tf.report(t, serviceIndex(tf, s.Name), "v0.2.0", "ok", "")
			}
		}
	}
	require.Equal(t, Done, c.State)
	require.NotNil(t, c.Denial)
	require.NotEqual(t, policyYAML, fleettest.ReadFile(t, platform.Dir, "main", "policy.yaml"))

	c, err = e.Rollback(ctx, c.ID, "the fixed base breaks TLS")
	require.NoError(t, err)
	require.Equal(t, RolledBack, c.State)
	require.Equal(t, policyYAML, fleettest.ReadFile(t, platform.Dir, "main", "policy.yaml"), "the old base builds again")
	log := fleettest.Log(t, platform.Dir, "main")
	require.Equal(t, log[0].Hash.String(), c.Denial.LiftedBy)
	require.Contains(t, log[0].Message, gitrepo.RevertLine(plumbing.NewHash(c.Denial.Commit)))
	require.Equal(t, first, log[2].Hash.String(), "history kept")
	require.Equal(t, "FROM "+oldBase+"\nCOPY app /app\n", fleettest.ReadFile(t, tf.repos[0].Dir, "main", "Dockerfile"))
}

// TestRollbackAfterCrash: a process died between a push and its record
// (a bump branch pushed, a merge pushed): rollback still finds and undoes
// both by the campaign branch.
func TestRollbackAfterCrash(t *testing.T) {
	tests := []struct {
		name   string
		crash  string // the record that is lost
		merged bool   // whether main has the bump when the process dies
	}{
		{name: "between bump push and opened", crash: "opened"},
		{name: "between merge push and merged", crash: "merged", merged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tf := newTestFleet(t, 2)
			c := startPaved(t, New(tf.store()), tf, "100%")
			crashing := &crashingStore{Store: tf.store(), crash: func(t *Transition) bool { return t.Action == tc.crash }}
			_, err := New(crashing).Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
			require.ErrorIs(t, err, errCrash)
			for i, r := range tf.repos {
				file, _, bumped := wrapperFile(i)
				if tc.merged {
					require.Equal(t, bumped, fleettest.ReadFile(t, r.Dir, "main", file))
				}
			}

			c, err = New(tf.store()).Rollback(ctx, c.ID, "crashed")
			require.NoError(t, err)
			require.Equal(t, RolledBack, c.State)
			for i, r := range tf.repos {
				file, old, _ := wrapperFile(i)
				require.Equal(t, old, fleettest.ReadFile(t, r.Dir, "main", file), tf.services[i].Name)
				if !tc.merged {
					require.NotContains(t, fleettest.Branches(t, r.Dir), Branch(c.ID))
					require.Equal(t, Closed, c.Service(tf.services[i].Name).Status)
				} else {
					require.Equal(t, Reverted, c.Service(tf.services[i].Name).Status)
				}
			}
		})
	}
}

// TestForwardRecordRefusedOnceHalted: an advance racing a rollback cannot
// record a step once the rollback has begun.
func TestForwardRecordRefusedOnceHalted(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	_, err := e.Halt(ctx, c.ID, "stop")
	require.NoError(t, err)
	_, err = e.forward(ctx, c.ID, Transition{Action: "merged", Service: "svc-000"}, "svc-000", func(s *Service) { s.Status = Merged })
	require.ErrorIs(t, err, ErrNotRunning)
	c, err = e.store.Load(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, Pending, c.Service("svc-000").Status)
}

// TestMergeConflict: main changed the pinned file after the branch was
// cut: the service fails as bad input naming the branch, and deleting the
// branch lets the next advance bump it again on top of main.
func TestMergeConflict(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	c, err := e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	dir := tf.repos[0].Dir
	fleettest.Append(t, dir, "main", "touch CI", map[string]string{wfPath: oldWorkflow + "# touched\n"})

	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, gitrepo.ErrConflict)
	require.ErrorIs(t, err, ErrHalted, "the failed bump halts the gate instead of waiting forever")
	require.ErrorContains(t, err, "rebase "+Branch(c.ID)+" onto main")
	s := c.Service("svc-000")
	require.Equal(t, Failed, s.Status)
	require.Equal(t, failure.BadInput.String(), s.ErrorKind)

	r, err := gitrepo.Clone(ctx, dir, "", nil, Branch(c.ID))
	require.NoError(t, err)
	require.NoError(t, r.Delete(ctx, Branch(c.ID)))
	_, err = e.Resume(ctx, c.ID)
	require.NoError(t, err)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, Merged, c.Service("svc-000").Status)
	require.Equal(t, newWorkflow+"# touched\n", fleettest.ReadFile(t, dir, "main", wfPath))
}

func TestResumeRefuses(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	_, err := e.Resume(ctx, c.ID)
	require.Equal(t, failure.BadInput, failure.KindOf(err), "a running campaign")
	_, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	_, err = e.Rollback(ctx, c.ID, "stop")
	require.NoError(t, err)
	_, err = e.Resume(ctx, c.ID)
	require.ErrorContains(t, err, "not halted")
}

func TestStartRefusesCredentials(t *testing.T) {
	tf := newTestFleet(t, 1)
	tf.services[0].Repository = "https://ghp_secret@github.com/org/svc.git"
	waves, err := ParseWaves("100%")
	require.NoError(t, err)
	_, err = New(tf.store()).Start(context.Background(), Spec{
		Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: tf.services, Waves: waves,
		MaxInFlight: 1, Health: Health{Ratio: 1, Window: Duration(time.Hour)},
	})
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorIs(t, err, ErrCredentialsInURL, "the CLI adds the variable that carries the token")
	require.NotContains(t, err.Error(), "secret")
}

// TestFailuresCountedOncePerService: a service retried as the next wave
// starts in the same advance is one failure.
func TestFailuresCountedOncePerService(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 3)
	tf.services = append(tf.services, serviceOf("gone", tf.dir+"/gone.git"))
	waves, err := ParseWaves("canary:svc-000+gone,100%")
	require.NoError(t, err)
	e := New(tf.store())
	c, err := e.Start(ctx, Spec{
		Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: tf.services, Waves: waves,
		MaxInFlight: 2, Health: Health{Ratio: 0.5, Window: Duration(time.Hour)},
	})
	require.NoError(t, err)
	_, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Error(t, err)
	tf.report(t, 0, "v0.3.0", "ok", "")
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Equal(t, 1, c.Wave, "the canary passed at 1 of 2")
	require.ErrorContains(t, err, "1 service could not be moved")
}

// TestRevertAlreadyUndone: a bump undone by hand is recorded as such, not
// with a zero revert commit.
func TestRevertAlreadyUndone(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	_, err := e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	fleettest.Append(t, tf.repos[0].Dir, "main", "back to v0.2.0 by hand", map[string]string{wfPath: oldWorkflow})
	c, err = e.Rollback(ctx, c.ID, "undo")
	require.NoError(t, err)
	s := c.Service("svc-000")
	require.Equal(t, Reverted, s.Status)
	require.Empty(t, s.RevertCommit)
	require.Contains(t, fleettest.Log(t, tf.state.Dir, "main")[1].Message, "already undone")
}

// TestTransitionOneLine: free text cannot add commit trailers.
func TestTransitionOneLine(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	c := startPaved(t, e, tf, "100%")
	_, err := e.Halt(ctx, c.ID, "x\nPaved-Transition: rolled-back")
	require.NoError(t, err)
	msg := fleettest.Log(t, tf.state.Dir, "main")[0].Message
	require.NotContains(t, msg, "\nPaved-Transition: rolled-back")
	require.Contains(t, msg, "Paved-Transition: halted")
}

// TestDecodeBoundsWaves: a hand-edited wave index out of range is an
// error, never a panic later.
func TestDecodeBoundsWaves(t *testing.T) {
	tf := newTestFleet(t, 2)
	c := startPaved(t, New(tf.store()), tf, "canary:svc-000,100%")
	for _, tc := range []struct {
		name string
		edit func(*Campaign)
	}{
		{"campaign wave", func(c *Campaign) { c.Wave = 2 }},
		{"service wave", func(c *Campaign) { c.Services[1].Wave = 7 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := *c
			cp.Services = append([]Service(nil), c.Services...)
			tc.edit(&cp)
			data, err := encode(&cp)
			require.NoError(t, err)
			_, err = decode("c.yaml", data)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.ErrorContains(t, err, "waves")
		})
	}
}

// TestStartRefusesOverlappingBase: python-base:1.0 and its full name are
// the same base.
func TestStartRefusesOverlappingBase(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	e := New(tf.store())
	waves, err := ParseWaves("100%")
	require.NoError(t, err)
	spec := Spec{
		Target: rewrite.Target{Kind: pin.Base, From: "python-base:1.0", To: fixedBase}, Services: tf.services, Waves: waves,
		MaxInFlight: 1, Health: Health{Ratio: 1, Window: Duration(time.Hour)},
	}
	first, err := e.Start(ctx, spec)
	require.NoError(t, err)
	spec.ID, spec.Target.From = "second", oldBase
	_, err = e.Start(ctx, spec)
	require.ErrorIs(t, err, ErrConflict)
	require.ErrorContains(t, err, first.ID)
}
