//go:build wrappers && loop

package ci

import (
	"html"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/runner"
)

// TestLoop is the canary loop end to end on real components (make
// loop-test): eight services on a real Gitea, each with the GitHub
// reusable workflow pinned at the previous paved version; paved fleet
// campaign start for the release of the tree under test, canary first; for
// every change and every merge the service's own workflow runs under act at
// the bumped pin and its result is posted to Gitea as a commit status;
// advance reads the statuses and the GitOps deploys, merges the canary and
// opens wave 2; a wave-2 service whose image carries a fixture-database
// vulnerability fails its scan gate on its change, which auto-merge then
// leaves unmerged, and the campaign halts; rollback reverts every merged
// bump with a forward commit and closes the red pull request. Only the
// canary and wave 2 (svc-1, svc-2, svc-3) open, so only they run CI.
func TestLoop(t *testing.T) {
	l := newLoopFleet(t, 8, "svc-3")
	id := "paved-" + shared.rel.Version
	before := map[string]string{}
	for _, name := range l.services {
		before[name] = l.tip(t, name)
	}
	code, out := l.paved(t, "start", "--paved-version", shared.rel.Version, "--waves", "canary:svc-1,wave-2:svc-2+svc-3,100%",
		"--health-check", loopCheck("push"), "--health-window", "1h")
	require.Equal(t, 0, code, out)
	require.Len(t, l.campaign(t, id).Services, len(l.services), "every service of the organisation is in the campaign")

	// The canary's change: its CI runs on the pull request and deploys nothing.
	code, out = l.paved(t, "advance", id)
	require.Equal(t, 0, code, out)
	l.changeCI(t, id, "svc-1", true)

	// Merged, but no CI result on the merge commit and no deploy yet: the wave waits.
	code, out = l.advanceUntilMerged(t, id, "svc-1")
	require.Equal(t, 0, code, out)
	c := l.campaign(t, id)
	require.Equal(t, []string{"svc-1"}, c.Gate.Missing, "no status posted: the wave waits")
	require.Equal(t, 0, c.Wave)
	merge := c.service(t, "svc-1").Change.MergeCommit
	require.Equal(t, merge, l.tip(t, "svc-1"))

	// A deploy of the merge by another paved version is not the canary's health.
	l.recordDeploy(t, "svc-1", loopPrevious, merge)
	code, out = l.paved(t, "advance", id)
	require.Equal(t, 0, code, out)
	require.Equal(t, []string{"svc-1"}, l.campaign(t, id).Gate.Missing, "wrong version deployed: not healthy")

	// The merge's CI deploys with the new paved; its status passes the canary and wave 2 opens.
	run, sha := l.ci(t, "svc-1", "main", nil)
	require.Equal(t, 0, run.ExitCode, run.Output)
	require.Equal(t, merge, sha)
	rec := l.deployed(t, "svc-1")
	require.Equal(t, shared.rel.Version, rec.PavedVersion)
	require.Equal(t, merge, rec.SourceRevision)
	code, out = l.paved(t, "advance", id)
	require.Equal(t, 0, code, out)
	c = l.campaign(t, id)
	require.Equal(t, 1, c.Wave, out)
	canary := c.service(t, "svc-1").Health
	require.Equal(t, "ok", canary.Status)
	require.Equal(t, "check", canary.Evidence)
	require.Contains(t, canary.URL, l.logsURL+"/acme/svc-1/"+merge[:12]+"-push.log")
	for _, name := range []string{"svc-4", "svc-5", "svc-6", "svc-7", "svc-8"} {
		require.Equal(t, "pending", c.service(t, name).Status, "%s is in no open wave", name)
	}

	// Wave 2: svc-2 passes; svc-3's image has CVE-2022-32149 and fails the
	// scan gate on its change, so auto-merge leaves it unmerged and the
	// wave's gate halts the campaign once svc-2 is merged.
	l.changeCI(t, id, "svc-2", true)
	l.changeCI(t, id, "svc-3", false)
	code, out = l.advanceUntilMerged(t, id, "svc-2")
	require.Equal(t, 3, code, "halted by the health gate: %s", out)
	c = l.campaign(t, id)
	require.Equal(t, "halted", c.State)
	require.Equal(t, "failed", c.service(t, "svc-3").Status, "a red change is not merged")
	require.Contains(t, c.Reason, "svc-3 was not merged: "+loopCheck("pull_request")+" failed on the change's head")
	require.Contains(t, c.Reason, "at step gate")
	require.Equal(t, []string{"svc-3"}, c.Gate.BumpFailed)
	require.Contains(t, gitRun(t, l.clone(t, "svc-3", "main"), "show", "HEAD:.github/workflows/paved.yml"), "build-scan-deploy.yml@"+loopPrevious, "svc-3's main still pins the previous version")
	require.Nil(t, l.deployed(t, "svc-3"), "a failed gate deploys nothing")
	l.requireStatus(t, id, canary.URL, merge)

	// Rollback: forward reverts in Gitea, no pull request left open, every history intact.
	halted := map[string]string{}
	for _, name := range l.services {
		halted[name] = l.tip(t, name)
	}
	code, out = l.paved(t, "rollback", id)
	require.Equal(t, 0, code, out)
	require.Equal(t, "rolled-back", l.campaign(t, id).State)
	for _, name := range l.services {
		l.requireRolledBack(t, name, before[name], halted[name])
	}
}

// changeCI runs the CI of name's open change and checks it passed (ok) or
// failed at the gate, deploying nothing either way.
func (l *loopFleet) changeCI(t *testing.T, id, name string, ok bool) {
	t.Helper()
	s := l.campaign(t, id).service(t, name)
	require.Equal(t, "opened", s.Status)
	require.NotNil(t, s.Change)
	require.Contains(t, s.Change.URL, l.srv.URL+"/acme/"+name+"/pulls/")
	number, err := strconv.Atoi(s.Change.ID)
	require.NoError(t, err)
	deployed := gitRun(t, l.in.GitOps, "rev-parse", "main")
	run, _ := l.ci(t, name, "paved/campaign/"+id, &runner.PullRequest{Number: number, Head: "paved/campaign/" + id, HeadSHA: s.Change.Head})
	if ok {
		require.Equal(t, 0, run.ExitCode, run.Output)
	} else {
		require.NotEqual(t, 0, run.ExitCode, run.Output)
		require.Equal(t, "gate", githubRecord(t, run).Failure.Step)
	}
	require.Equal(t, deployed, gitRun(t, l.in.GitOps, "rev-parse", "main"), "a pull request deploys nothing")
}

// requireRolledBack: acme/name's main pins the previous paved version
// again, the tips from before the campaign and from the halt are ancestors
// of it (no force push), and no pull request is open.
func (l *loopFleet) requireRolledBack(t *testing.T, name, before, halted string) {
	t.Helper()
	dir := l.clone(t, name, "main")
	for _, old := range []string{before, halted} {
		gitRun(t, dir, "merge-base", "--is-ancestor", old, "HEAD")
	}
	wf := gitRun(t, dir, "show", "HEAD:.github/workflows/paved.yml")
	require.Contains(t, wf, "build-scan-deploy.yml@"+loopPrevious, "%s: a bump is still merged", name)
	require.NotContains(t, wf, "build-scan-deploy.yml@"+shared.rel.Version, name)
	var open []struct{ Number int }
	l.srv.Do(t, "GET", "/repos/acme/"+name+"/pulls?state=open", nil, &open)
	require.Empty(t, open, "%s has an open pull request", name)
}

// requireStatus: status and its HTML page show, per wave and service, the
// change's link, the CI result's link, the deploy from versions.yaml and a
// reason line for the service the campaign halted on.
func (l *loopFleet) requireStatus(t *testing.T, id, canaryLog, merge string) {
	t.Helper()
	code, out := l.paved(t, "status", id)
	require.Equal(t, 0, code, out)
	push := regexp.QuoteMeta(loopCheck("push"))
	require.Regexp(t, `svc-1 +canary +merged +ok at `+push+` +ci `+regexp.QuoteMeta(canaryLog)+` +#\d+ `+regexp.QuoteMeta(l.srv.URL)+`/acme/svc-1/pulls/\d+ +dev: paved `+regexp.QuoteMeta(shared.rel.Version)+` from `+merge[:12], out)
	pr := regexp.QuoteMeta(loopCheck("pull_request"))
	require.Regexp(t, `svc-3 +wave-2 +failed +failed at `+pr+` +ci \S+ +#\d+ \S+ +-\n`, out, "svc-3 deployed nothing")
	require.Regexp(t, `svc-4 +\S+ +pending +- +- +- +-\n`, out)
	require.Contains(t, out, "wave 1/3 canary: passed, 1 services\nwave 2/3 wave-2: halted, 2 services\n")
	require.Regexp(t, `the campaign halted on:\n(  svc-2: .*\n)?  svc-3: not merged: `+pr+` failed on the change's head [0-9a-f]{12} \(paved build-scan-deploy failed at step gate\), \S+-pull_request\.log: fix the service and advance again, or roll the campaign back\n`, out)
	code, page := l.paved(t, "status", id, "--output", "html")
	require.Equal(t, 0, code, page)
	require.Contains(t, page, `<a href="`+canaryLog+`">log</a>`)
	require.Regexp(t, `<a href="`+regexp.QuoteMeta(l.srv.URL)+`/acme/svc-3/pulls/\d+">#\d+</a>`, page)
	require.Contains(t, page, "not merged: "+html.EscapeString(loopCheck("pull_request"))+" failed on the change")
	require.Contains(t, page, "(paved build-scan-deploy failed at step gate)")
}
