package gitrepo

import (
	"context"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/fleettest"
)

const (
	wf     = ".github/workflows/paved.yml"
	old    = "    uses: paved-dev/paved/x.yml@v0.1.0\n"
	bumped = "    uses: paved-dev/paved/x.yml@v0.3.0\n"
)

// bump clones remote, commits the bumped workflow on branch and pushes it.
func bump(t *testing.T, remote, branch string) plumbing.Hash {
	t.Helper()
	ctx := context.Background()
	r, err := Clone(ctx, remote, "", nil, branch)
	require.NoError(t, err)
	require.Equal(t, "main", r.Base)
	tip, _ := r.Tip("main")
	h, err := r.Write([]plumbing.Hash{tip}, map[string][]byte{wf: []byte(bumped)}, "bump", Signature{})
	require.NoError(t, err)
	require.NoError(t, r.Push(ctx, branch, h))
	return h
}

func TestMergeRevert(t *testing.T) {
	tests := []struct {
		name      string
		moveBase  map[string]string // a commit on main after the branch was cut
		wantMerge bool              // a merge commit rather than a fast-forward
		conflict  bool
	}{
		{name: "fast-forward"},
		{name: "base moved", moveBase: map[string]string{"README.md": "hello\n"}, wantMerge: true},
		{name: "conflict", moveBase: map[string]string{wf: "    uses: paved-dev/paved/x.yml@v0.2.0\n"}, conflict: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			remote := fleettest.NewRepo(t, t.TempDir(), "svc", map[string]string{wf: old, "dir/keep.txt": "keep\n"})
			h := bump(t, remote.Dir, "paved/campaign/x")
			if tc.moveBase != nil {
				remote.Commit(t, tc.moveBase)
			}
			ch, err := NewChanges(nil).Open(ctx, fleet.ChangeRequest{Repository: remote.Dir, Base: "main", Head: "paved/campaign/x"})
			require.NoError(t, err)
			require.Equal(t, fleet.ChangeOpen, ch.State)

			r, err := Clone(ctx, remote.Dir, "main", nil, "paved/campaign/x")
			require.NoError(t, err)
			m, err := r.Merge(ctx, "paved/campaign/x", "merge", Signature{})
			if tc.conflict {
				require.ErrorIs(t, err, ErrConflict)
				return
			}
			require.NoError(t, err)
			require.Equal(t, !tc.wantMerge, m == h)
			require.Equal(t, bumped, fleettest.ReadFile(t, remote.Dir, "main", wf))
			require.Equal(t, "keep\n", fleettest.ReadFile(t, remote.Dir, "main", "dir/keep.txt"))

			// Merging again changes nothing and names the same commit.
			r, err = Clone(ctx, remote.Dir, "main", nil, "paved/campaign/x")
			require.NoError(t, err)
			again, err := r.Merge(ctx, "paved/campaign/x", "merge", Signature{})
			require.NoError(t, err)
			require.Equal(t, m, again)
			ch, err = r.Change("paved/campaign/x")
			require.NoError(t, err)
			require.Equal(t, fleet.Change{ID: "paved/campaign/x", State: fleet.ChangeMerged, MergeCommit: m.String()}, ch)

			rev, err := r.Revert(ctx, m, "revert\n\nPaved-Campaign: x\n", Signature{})
			require.NoError(t, err)
			require.Equal(t, old, fleettest.ReadFile(t, remote.Dir, "main", wf))
			log := fleettest.Log(t, remote.Dir, "main")
			require.Equal(t, rev, log[0].Hash)
			require.Contains(t, log[0].Message, RevertLine(m))

			// Reverting again finds the first revert.
			r, err = Clone(ctx, remote.Dir, "main", nil)
			require.NoError(t, err)
			again, err = r.Revert(ctx, m, "revert", Signature{})
			require.NoError(t, err)
			require.Equal(t, rev, again)
		})
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	remote := fleettest.NewRepo(t, t.TempDir(), "svc", map[string]string{wf: old})
	bump(t, remote.Dir, "paved/campaign/x")
	c := NewChanges(nil)
	require.NoError(t, c.Close(ctx, remote.Dir, "paved/campaign/x", "rolled back"))
	require.NotContains(t, fleettest.Branches(t, remote.Dir), "paved/campaign/x")
	require.NoError(t, c.Close(ctx, remote.Dir, "paved/campaign/x", "rolled back"))
	ch, err := c.Get(ctx, remote.Dir, "paved/campaign/x")
	require.NoError(t, err)
	require.Equal(t, fleet.ChangeClosed, ch.State)
	_, err = c.Open(ctx, fleet.ChangeRequest{Repository: remote.Dir, Head: "paved/campaign/x"})
	require.Error(t, err)
}

func TestCloneMissing(t *testing.T) {
	_, err := Clone(context.Background(), t.TempDir()+"/gone.git", "", nil)
	require.Error(t, err)
}
