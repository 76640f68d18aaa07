package github_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
)

func TestChecks(t *testing.T) {
	f := newFakeGitHub(t, token)
	g := newForge(t, f, token)
	const sha = "ce587453ced02b1526dfb4cb910479d431683101"
	run := func(name, status, conclusion string) map[string]any {
		r := recorded(t, "check-run.json")
		r["name"], r["status"], r["conclusion"] = name, status, conclusion
		r["html_url"] = "https://github.com/acme/api/actions/runs/7/job/" + name
		if conclusion == "" {
			r["conclusion"] = nil
		}
		return r
	}
	f.runs["acme/api@"+sha] = []map[string]any{
		run("paved / build-scan-deploy", "completed", "success"),
		run("lint", "completed", "failure"),
		run("docs", "completed", "skipped"),
		run("e2e", "in_progress", ""),
		run("flaky", "completed", "timed_out"),
	}
	st := recorded(t, "status.json")
	f.statuses["acme/api@"+sha] = []map[string]any{st}

	got, err := g.Checks(context.Background(), "https://github.com/acme/api.git", sha)
	require.NoError(t, err)
	url := "https://github.com/acme/api/actions/runs/7/job/"
	require.Equal(t, []fleet.Check{
		{Name: "paved / build-scan-deploy", State: fleet.CheckSuccess, URL: url + "paved / build-scan-deploy", Description: "Mighty Readme report"},
		{Name: "lint", State: fleet.CheckFailure, URL: url + "lint", Description: "Mighty Readme report"},
		{Name: "docs", State: fleet.CheckPending, URL: url + "docs", Description: "Mighty Readme report"},
		{Name: "e2e", State: fleet.CheckPending, URL: url + "e2e", Description: "Mighty Readme report"},
		{Name: "flaky", State: fleet.CheckFailure, URL: url + "flaky", Description: "Mighty Readme report"},
		{Name: "continuous-integration/jenkins", State: fleet.CheckSuccess, URL: "https://ci.example.com/1000/output", Description: "Build has completed successfully"},
	}, got, "every page of check runs, then the commit statuses")
	require.Len(t, f.calls, 4, "three pages of check runs and the combined status")

	_, err = g.Checks(context.Background(), "https://github.com/acme/api.git", "0000000000000000000000000000000000000000")
	require.NoError(t, err, "a commit without results has none")
	_, err = newForge(t, f, "wrong-token").Checks(context.Background(), "https://github.com/acme/api.git", sha)
	require.ErrorIs(t, err, fleet.ErrForbidden)
	require.Contains(t, err.Error(), "Checks read")
}
