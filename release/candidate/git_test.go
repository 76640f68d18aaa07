package candidate

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

// TestRepoStateShallow: a shallow clone hides the release tags and the
// apps' pinned commits, so a candidate built there would silently be a
// "first release": it is bad input telling to fetch the full history.
func TestRepoStateShallow(t *testing.T) {
	repo, head := fixtureRepo(t)
	st, err := RepoState(context.Background(), repo)
	require.NoError(t, err)
	require.Equal(t, head, st.Commit)

	shallow := filepath.Join(t.TempDir(), "shallow")
	out, err := exec.Command("git", "clone", "-q", "--depth", "1", "file://"+repo, shallow).CombinedOutput()
	require.NoError(t, err, string(out))
	_, err = RepoState(context.Background(), shallow)
	require.ErrorContains(t, err, "is a shallow clone")
	require.ErrorContains(t, err, "fetch full history and tags")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
