package candidate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/apps"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var fixedNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// options are a check of go-api in a fixture repository, the baseline
// binary named "baseline", the candidate "candidate".
func options(t *testing.T, runner fakeRunner, withBaseline bool) Options {
	repo, commit := fixtureRepo(t)
	o := Options{
		Repo:      repo,
		Apps:      []apps.App{{Name: "go-api", Path: "examples/reference-apps/go-api", Commit: commit, CI: apps.GitHub}},
		Bases:     []apps.Base{{Image: "platform/static:1", Layout: "static"}},
		BasesDir:  baseLayout(t),
		Fixtures:  apps.Fixtures{Policy: "examples/policy.yaml", GitOps: "examples/gitops"},
		Candidate: Paved{Version: "v0.2.0-rc.1", Commit: commit, Binary: "/bin/candidate"},
		DBDir:     fixtureDB(t), Key: "/keys/cosign.key", Env: os.Environ(),
		WorkDir: t.TempDir(), Runner: runner, Now: func() time.Time { return fixedNow },
		AllApps: []string{"go-api"}, AppsSHA256: "a1", ChangelogSHA256: "c1",
	}
	if withBaseline {
		o.Baseline = &Paved{Version: "v0.1.0", Commit: commit, Binary: "/bin/baseline"}
	}
	return o
}

func keys(a AppResult) []string {
	var out []string
	for _, d := range a.Differences {
		out = append(out, d.Key(a.Name)+"="+d.Classification)
	}
	return out
}

func TestCheck(t *testing.T) {
	pkgs := []string{"golang.org/x/text@v0.3.7"}
	tests := []struct {
		name         string
		base, cand   *fakePaved
		noBaseline   bool
		notes        Notes
		quarantine   *apps.Quarantine
		verdict      string
		appVerdict   string
		blocking     bool
		candAttempts int
		differences  []string
	}{
		{name: "same outputs pass", base: &fakePaved{user: "0", packages: pkgs}, cand: &fakePaved{user: "0", packages: pkgs},
			verdict: Pass, appVerdict: VerdictPass, candAttempts: 1},
		{name: "unnamed change is a regression", base: &fakePaved{user: "0", packages: pkgs},
			cand:    &fakePaved{user: "65532", packages: append([]string{"golang.org/x/net@v0.1.0"}, pkgs...)},
			verdict: Fail, appVerdict: VerdictRegression, blocking: true, candAttempts: 1,
			differences: []string{"go-api/build/config.user=regression", "go-api/sbom/packages=regression"}},
		{name: "named change is expected", base: &fakePaved{user: "0", packages: pkgs}, cand: &fakePaved{user: "65532", packages: pkgs},
			notes:   Notes{{Key: "*/build/config.user", Entry: "images run as nonroot"}},
			verdict: Pass, appVerdict: VerdictPass, candAttempts: 1, differences: []string{"go-api/build/config.user=expected"}},
		{name: "gate fails with the candidate only", base: &fakePaved{user: "0"}, cand: &fakePaved{user: "0", failAt: "gate"},
			verdict: Fail, appVerdict: VerdictRegression, blocking: true, candAttempts: 1,
			differences: []string{"go-api/gate/status=regression", "go-api/attest/status=regression", "go-api/deploy/status=regression",
				"go-api/gate/verdict=regression", "go-api/attest/attestations=regression", "go-api/deploy/gitops=regression",
				"go-api/cli/exitCode=regression"}},
		{name: "flake retried once then passes", base: &fakePaved{user: "0"}, cand: &fakePaved{user: "0", flakes: 1},
			verdict: Pass, appVerdict: VerdictPass, candAttempts: 2},
		{name: "flake twice with both", base: &fakePaved{user: "0", flakes: 2}, cand: &fakePaved{user: "0", flakes: 2},
			verdict: Fail, appVerdict: VerdictInfraFlake, blocking: true, candAttempts: 2},
		{name: "candidate flakes twice, baseline passes", base: &fakePaved{user: "0"}, cand: &fakePaved{user: "0", flakes: 2},
			verdict: Fail, appVerdict: VerdictRegression, blocking: true, candAttempts: 2,
			differences: []string{"go-api/build/status=regression", "go-api/sbom/status=regression", "go-api/scan/status=regression",
				"go-api/gate/status=regression", "go-api/attest/status=regression", "go-api/deploy/status=regression",
				"go-api/push/status=regression", "go-api/build/config.user=regression", "go-api/gate/verdict=regression",
				"go-api/attest/attestations=regression", "go-api/deploy/gitops=regression", "go-api/cli/exitCode=regression",
				"go-api/build/config.env=regression", "go-api/build/config.cmd=regression", "go-api/build/annotations=regression",
				"go-api/scan/findings=regression"}},
		{name: "app broken with both versions", base: &fakePaved{failAt: "gate"}, cand: &fakePaved{failAt: "gate"},
			verdict: Fail, appVerdict: VerdictAppBroken, blocking: true, candAttempts: 1},
		// The only app is quarantined: nothing passed, so the candidate
		// does not pass either.
		{name: "quarantined app does not block", base: &fakePaved{failAt: "gate"}, cand: &fakePaved{failAt: "gate"},
			quarantine: &apps.Quarantine{Reason: "CVE in the base, #42", Until: "2026-12-01"},
			verdict:    Fail, appVerdict: VerdictAppBroken, candAttempts: 1},
		{name: "quarantined regression blocks", base: &fakePaved{user: "0"}, cand: &fakePaved{user: "0", failAt: "gate"},
			quarantine: &apps.Quarantine{Reason: "CVE in the base, #42", Until: "2026-12-01"},
			verdict:    Fail, appVerdict: VerdictRegression, blocking: true, candAttempts: 1,
			differences: []string{"go-api/gate/status=regression", "go-api/attest/status=regression", "go-api/deploy/status=regression",
				"go-api/gate/verdict=regression", "go-api/attest/attestations=regression", "go-api/deploy/gitops=regression",
				"go-api/cli/exitCode=regression"}},
		{name: "first release passes alone", noBaseline: true, cand: &fakePaved{user: "0"},
			verdict: Pass, appVerdict: VerdictPass, candAttempts: 1},
		{name: "first release fails alone", noBaseline: true, cand: &fakePaved{failAt: "gate"},
			verdict: Fail, appVerdict: VerdictRegression, blocking: true, candAttempts: 1, differences: []string{"go-api/gate/status=regression"}},
		{name: "ok record then exit 1", base: &fakePaved{user: "0"}, cand: &fakePaved{user: "0", exitAfter: 1},
			verdict: Fail, appVerdict: VerdictRegression, blocking: true, candAttempts: 1, differences: []string{"go-api/cli/exitCode=regression"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t, fakeRunner{"baseline": tc.base, "candidate": tc.cand}, !tc.noBaseline)
			o.Notes, o.Apps[0].Quarantine = tc.notes, tc.quarantine
			rep, err := Check(context.Background(), o)
			require.NoError(t, err)
			require.Equal(t, tc.verdict, rep.Verdict)
			app := rep.Apps[0]
			require.Equal(t, tc.appVerdict, app.Verdict)
			require.Equal(t, tc.blocking, app.Blocking)
			require.Equal(t, tc.candAttempts, app.Candidate.Attempts)
			require.ElementsMatch(t, tc.differences, keys(app))
			require.Equal(t, tc.noBaseline, app.Baseline == nil)
			if tc.noBaseline {
				require.Contains(t, rep.BaselineNote, "first release")
			}
		})
	}
}

// TestCheckCoverage: the report says whether every app of the apps file
// ran and which apps file and change notes it was checked against, so
// publish can refuse a report that does not cover the release; a
// candidate no unquarantined app passed does not pass.
func TestCheckCoverage(t *testing.T) {
	t.Run("partial", func(t *testing.T) {
		o := options(t, fakeRunner{"baseline": &fakePaved{user: "0"}, "candidate": &fakePaved{user: "0"}}, true)
		o.AllApps = []string{"go-api", "python-api", "node-web"}
		rep, err := Check(context.Background(), o)
		require.NoError(t, err)
		require.Equal(t, Pass, rep.Verdict)
		require.True(t, rep.Partial)
		require.Equal(t, o.AllApps, rep.AllApps)
		require.Equal(t, "a1", rep.AppsSHA256)
		require.Equal(t, "c1", rep.ChangelogSHA256)
		var b bytes.Buffer
		require.NoError(t, rep.WriteJSON(&b))
		require.Contains(t, b.String(), `"partial": true`)
	})
	t.Run("complete", func(t *testing.T) {
		o := options(t, fakeRunner{"baseline": &fakePaved{user: "0"}, "candidate": &fakePaved{user: "0"}}, true)
		rep, err := Check(context.Background(), o)
		require.NoError(t, err)
		require.False(t, rep.Partial)
	})
	t.Run("only quarantined apps", func(t *testing.T) {
		o := options(t, fakeRunner{"baseline": &fakePaved{user: "0", flakes: 2}, "candidate": &fakePaved{user: "0", flakes: 2}}, true)
		o.Apps[0].Quarantine = &apps.Quarantine{Reason: "mirror down, #7", Until: "2026-12-01"}
		rep, err := Check(context.Background(), o)
		require.NoError(t, err)
		require.False(t, rep.Apps[0].Blocking)
		require.Equal(t, Fail, rep.Verdict)
		require.False(t, rep.OnlyInfra())
		require.Contains(t, rep.Blocking(), noPassReason)
	})
}

// TestCheckNotes: a note with an unknown aspect stops the check before
// anything runs; a note that matched no difference is reported.
func TestCheckNotes(t *testing.T) {
	cand := &fakePaved{user: "0"}
	o := options(t, fakeRunner{"baseline": &fakePaved{user: "0"}, "candidate": cand}, true)
	o.Notes = Notes{{Key: "*/*/*", Entry: "everything changes"}}
	_, err := Check(context.Background(), o)
	require.ErrorContains(t, err, "names no aspect")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Zero(t, cand.calls)

	o.Notes = Notes{{Key: "go-api/build/layers", Entry: "new layers (release-diff: go-api/build/layers)"}}
	rep, err := Check(context.Background(), o)
	require.NoError(t, err)
	require.Equal(t, o.Notes, rep.UnmatchedNotes)
	var md bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&md))
	require.Contains(t, md.String(), "`go-api/build/layers`")
}

// TestCheckCollectFails: when the candidate's outputs cannot be collected
// (its record names an image the registry does not hold), the candidate
// failed at step collect: a regression naming the app and the step, not
// an error that aborts the whole check.
func TestCheckCollectFails(t *testing.T) {
	o := options(t, fakeRunner{"baseline": &fakePaved{user: "0"}, "candidate": &fakePaved{user: "0", lostImage: true}}, true)
	rep, err := Check(context.Background(), o)
	require.NoError(t, err)
	app := rep.Apps[0]
	require.Equal(t, VerdictRegression, app.Verdict)
	require.Equal(t, "collect", app.Candidate.Failure.Step)
	require.Contains(t, app.Candidate.Failure.Message, "reading image")
	require.Contains(t, keys(app), "go-api/collect/status=regression")

	// The baseline's outputs are the harness's to collect: an error, naming the app.
	o = options(t, fakeRunner{"baseline": &fakePaved{user: "0", lostImage: true}, "candidate": &fakePaved{user: "0"}}, true)
	_, err = Check(context.Background(), o)
	require.ErrorContains(t, err, `app "go-api"`)
	require.ErrorContains(t, err, "baseline")
}

// TestCheckMissingApp: an app that is not in its pinned commit's tree is
// bad input naming the app and the commit, before anything runs.
func TestCheckMissingApp(t *testing.T) {
	cand := &fakePaved{}
	o := options(t, fakeRunner{"candidate": cand}, false)
	o.Apps[0].Path = "examples/reference-apps/ruby-api"
	_, err := Check(context.Background(), o)
	require.ErrorContains(t, err, `app "go-api" at commit `+o.Apps[0].Commit)
	require.ErrorContains(t, err, "examples/reference-apps/ruby-api is not in that commit's tree")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Zero(t, cand.calls)
}

// TestCheckMissingCommit: an app pinned at a commit the repository does not
// hold is not "an app missing from its tree": the history is.
func TestCheckMissingCommit(t *testing.T) {
	cand := &fakePaved{}
	o := options(t, fakeRunner{"candidate": cand}, false)
	o.Apps[0].Commit = strings.Repeat("ab", 20)
	_, err := Check(context.Background(), o)
	require.ErrorContains(t, err, `app "go-api": commit `+o.Apps[0].Commit+" is not in repository")
	require.ErrorContains(t, err, "fetch the full history")
	require.NotContains(t, err.Error(), "not in that commit's tree")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Zero(t, cand.calls)
}

// TestCheckNormalises: the registry address, the paved version annotation
// and the image digest differ between the two runs and are no difference.
func TestCheckNormalises(t *testing.T) {
	o := options(t, fakeRunner{"baseline": &fakePaved{user: "0"}, "candidate": &fakePaved{user: "0"}}, true)
	rep, err := Check(context.Background(), o)
	require.NoError(t, err)
	require.Empty(t, rep.Apps[0].Differences)
	require.Equal(t, VerdictPass, rep.Apps[0].Verdict)
}

var volatile = regexp.MustCompile(`("durationSeconds": )[0-9.e-]+|(ok |failed |pass |duration: )[0-9.]+ s`)

// TestReportGolden renders the regression case's report in both formats.
func TestReportGolden(t *testing.T) {
	o := options(t, fakeRunner{
		"baseline":  &fakePaved{user: "0", packages: []string{"golang.org/x/text@v0.3.7"}},
		"candidate": &fakePaved{user: "65532", packages: []string{"golang.org/x/text@v0.3.8"}},
	}, true)
	o.Notes = Notes{{Key: "go-api/sbom/packages", Entry: "golang.org/x/text v0.3.8 (release-diff: go-api/sbom/packages)"}}
	rep, err := Check(context.Background(), o)
	require.NoError(t, err)
	for _, f := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.md", func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) }},
		{"report.json", func(b *bytes.Buffer) error { return rep.WriteJSON(b) }},
	} {
		var b bytes.Buffer
		require.NoError(t, f.write(&b))
		got := volatile.ReplaceAll(b.Bytes(), []byte("${1}${2}N"))
		golden := filepath.Join("testdata", f.file)
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(golden, got, 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
}
