package deploy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

func TestRollbackLocks(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	for _, b := range []struct{ digest, version string }{{digestA, "v1"}, {digestB, "v2"}} {
		_, err := Bump(ctx, url, bumpReq("api", "prod", "ghcr.io/acme/api@"+b.digest, b.version), testOpts(t)...)
		require.NoError(t, err)
	}

	res, err := Rollback(ctx, url, RollbackRequest{Service: "api", Env: "prod", Reason: "v2 leaks memory", DeployedBy: "oncall@example.com", ApprovedBy: "lead@example.com"}, testOpts(t, WithClock(testClock))...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Contains(t, res.Message, "deploy(api): rollback prod v2 → v1")
	require.Equal(t, digestA, res.Record.Digest)
	require.Equal(t, &Lock{Reason: "v2 leaks memory", By: "oncall@example.com", At: "2026-11-03T13:05:00Z"}, res.Record.Lock)
	files, log := remoteState(t, url)
	require.Len(t, log, 4)
	require.Contains(t, files["charts/api/values-prod.yaml"], digestA)
	require.Equal(t, log[1].Hash, log[0].ParentHashes[0], "a forward commit")

	// Rolling back again to the same digest changes nothing.
	res, err = Rollback(ctx, url, RollbackRequest{Service: "api", Env: "prod", ToVersion: "v1", ApprovedBy: "lead@example.com"}, testOpts(t)...)
	require.NoError(t, err)
	require.False(t, res.Changed)

	_, err = Bump(ctx, url, bumpReq("api", "prod", "ghcr.io/acme/api@"+digestB, "v2"), testOpts(t)...)
	require.ErrorIs(t, err, ErrLocked)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.ErrorContains(t, err, "v2 leaks memory")

	req := bumpReq("api", "prod", "ghcr.io/acme/api@"+digestB, "v2.1")
	req.Unlock, req.Reason = true, "fixed in v2.1"
	res, err = Bump(ctx, url, req, testOpts(t)...)
	require.NoError(t, err)
	require.Nil(t, res.Record.Lock)
	require.Contains(t, res.Message, "bump (unlock: fixed in v2.1) prod v1 → v2.1")

	_, err = Rollback(ctx, url, RollbackRequest{Service: "api", Env: "prod", ToVersion: "v9"}, testOpts(t)...)
	require.ErrorContains(t, err, "has no version v9")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
