package campaign

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/pipelines/failure"
)

// forgeChanges is a hand-written forge: it opens one change per head,
// merges a change when told (as a reviewer would, by merging the branch on
// the remote), and refuses repositories in forbidden.
type forgeChanges struct {
	mu        sync.Mutex
	opened    map[string]fleet.Change // repository → change
	opens     int
	forbidden map[string]bool
}

func (f *forgeChanges) Open(_ context.Context, req fleet.ChangeRequest) (fleet.Change, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forbidden[req.Repository] {
		return fleet.Change{}, fmt.Errorf("opening a pull request: HTTP 403: %w", fleet.ErrForbidden)
	}
	f.opens++
	if ch, ok := f.opened[req.Repository]; ok {
		return ch, nil
	}
	ch := fleet.Change{ID: fmt.Sprint(len(f.opened) + 1), URL: "https://forge.test/pr/" + fmt.Sprint(len(f.opened)+1), State: fleet.ChangeOpen}
	f.opened[req.Repository] = ch
	return ch, nil
}

func (f *forgeChanges) Get(_ context.Context, repository, _ string) (fleet.Change, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opened[repository], nil
}

func (f *forgeChanges) Close(_ context.Context, repository, _, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.opened[repository]
	ch.State = fleet.ChangeClosed
	f.opened[repository] = ch
	return nil
}

// merge merges the change of repository on the remote, as the forge would.
func (f *forgeChanges) merge(t *testing.T, repository, branch string) {
	r, err := gitrepo.Clone(context.Background(), repository, "", nil, branch)
	require.NoError(t, err)
	h, err := r.Merge(context.Background(), branch, "Merge pull request", gitrepo.Signature{})
	require.NoError(t, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.opened[repository]
	ch.State, ch.MergeCommit = fleet.ChangeMerged, h.String()
	f.opened[repository] = ch
}

func TestForgeChanges(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 3)
	forge := &forgeChanges{opened: map[string]fleet.Change{}, forbidden: map[string]bool{tf.repos[2].Dir: true}}
	e := New(tf.store(), WithChanges(forge))
	c := startPaved(t, e, tf, "100%")

	c, err := e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err), "a token without rights is bad input")
	require.ErrorIs(t, err, fleet.ErrForbidden)
	s := c.Service("svc-002")
	require.Equal(t, Failed, s.Status)
	require.Contains(t, s.Error, "give the token write access")
	for _, name := range []string{"svc-000", "svc-001"} {
		require.Equal(t, Opened, c.Service(name).Status, "auto-merge does not merge forge changes")
		require.Equal(t, "https://forge.test/pr/"+c.Service(name).Change.ID, c.Service(name).Change.URL)
	}

	// A reviewer merges one; the next advance records it, opens nothing twice.
	forge.merge(t, tf.repos[0].Dir, Branch(c.ID))
	opens := forge.opens
	delete(forge.forbidden, tf.repos[2].Dir)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	require.Equal(t, Merged, c.Service("svc-000").Status)
	require.Equal(t, Opened, c.Service("svc-001").Status)
	require.Equal(t, Opened, c.Service("svc-002").Status)
	require.Equal(t, opens+1, forge.opens, "only the retried service opened a change")

	// Rollback reverts the merged one and closes the others on the forge.
	c, err = e.Rollback(ctx, c.ID, "abandoned")
	require.NoError(t, err)
	require.Equal(t, Reverted, c.Service("svc-000").Status)
	require.Equal(t, Closed, c.Service("svc-001").Status)
	require.Equal(t, fleet.ChangeClosed, forge.opened[tf.repos[1].Dir].State)
	require.Contains(t, fleettest.Branches(t, tf.repos[1].Dir), Branch(c.ID), "a forge keeps the branch")
	require.Equal(t, oldWorkflow, fleettest.ReadFile(t, tf.repos[0].Dir, "main", ".github/workflows/paved.yml"))
}

func TestHealthWindow(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 2)
	c := startPaved(t, New(tf.store()), tf, "100%")
	c, err := New(tf.store()).Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	tf.report(t, 0, "v0.3.0", "ok", "")

	// Within the window, the gate waits for svc-001.
	c, err = New(tf.store()).Advance(ctx, c.ID, AdvanceOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{"svc-001"}, c.Gate().Missing)

	// After it, a missing run halts the campaign.
	later := gitrepo.Signature{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}
	c, err = New(tf.store(), WithSignature(later)).Advance(ctx, c.ID, AdvanceOptions{})
	require.ErrorIs(t, err, ErrHalted)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Contains(t, c.Reason, "no counted run from svc-001")
}
