package candidate

import (
	"context"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

// TestNextVersion: the default candidate version follows the change notes
// and the latest release tag, as paved release publish will, so a checked
// candidate can be published.
func TestNextVersion(t *testing.T) {
	const added = "# Changelog\n\n## [Unreleased]\n\n### Added\n- a verb\n"
	const fixed = "# Changelog\n\n## [Unreleased]\n\n### Fixed\n- a bug\n"
	repo, _ := fixtureRepo(t)
	ctx := context.Background()

	v, err := NextVersion(ctx, repo, []byte(added))
	require.NoError(t, err)
	require.Equal(t, "v0.1.0", v, "first release")

	out, err := exec.Command("git", "-C", repo, "tag", "v0.3.1").CombinedOutput()
	require.NoError(t, err, string(out))
	v, err = NextVersion(ctx, repo, []byte(added))
	require.NoError(t, err)
	require.Equal(t, "v0.4.0", v)
	v, err = NextVersion(ctx, repo, []byte(fixed))
	require.NoError(t, err)
	require.Equal(t, "v0.3.2", v)
	require.NoError(t, CheckVersion(v+"-rc.check", "v0.3.1"))

	_, err = NextVersion(ctx, repo, []byte("# Changelog\n\n## [Unreleased]\n"))
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
