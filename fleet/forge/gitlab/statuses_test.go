package gitlab_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
)

func TestChecks(t *testing.T) {
	f := newFakeGitLab(t, token)
	g := newForge(t, f, token)
	const sha = "18f3e63d05582537db6d183d9d557be09e1f90c8"
	job := func(name, status string, description any) map[string]any {
		j := recorded(t, "commit-status.json")
		j["name"], j["status"], j["description"] = name, status, description
		j["target_url"] = "https://gitlab.example.com/platform/services/api/-/jobs/" + name
		return j
	}
	f.statuses["platform/services/api@"+sha] = []map[string]any{
		job("paved-build-scan-deploy", "success", "passed"),
		job("lint", "failed", nil),
		job("deploy-prod", "manual", nil),
		job("e2e", "running", nil),
		job("nightly", "skipped", nil),
		job("flaky", "canceled", nil),
	}
	got, err := g.Checks(context.Background(), "git@gitlab.example.com:platform/services/api.git", sha)
	require.NoError(t, err)
	url := "https://gitlab.example.com/platform/services/api/-/jobs/"
	require.Equal(t, []fleet.Check{
		{Name: "paved-build-scan-deploy", State: fleet.CheckSuccess, URL: url + "paved-build-scan-deploy", Description: "passed"},
		{Name: "lint", State: fleet.CheckFailure, URL: url + "lint"},
		{Name: "deploy-prod", State: fleet.CheckPending, URL: url + "deploy-prod"},
		{Name: "e2e", State: fleet.CheckPending, URL: url + "e2e"},
		{Name: "nightly", State: fleet.CheckPending, URL: url + "nightly"},
		{Name: "flaky", State: fleet.CheckFailure, URL: url + "flaky"},
	}, got, "every page of job statuses")
	require.Len(t, f.calls, 3)
	require.Contains(t, f.calls[0], "/projects/platform%2Fservices%2Fapi/repository/commits/"+sha+"/statuses?")

	_, err = newForge(t, f, "wrong").Checks(context.Background(), "git@gitlab.example.com:platform/services/api.git", sha)
	require.ErrorIs(t, err, fleet.ErrForbidden)
}
