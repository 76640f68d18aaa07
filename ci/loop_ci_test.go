//go:build wrappers && loop

package ci

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/pipelines/deploy"
	"go.yaml.in/yaml/v3"
)

// loopCheck is the name a forge gives paved's job on event: the caller's
// job, the reusable workflow's job and the event, as GitHub names them.
func loopCheck(event string) string { return "paved / build-scan-deploy (" + event + ")" }

// ci is acme/name's CI on branch: its own workflow under act (on a pull
// request when pr is set, else a push to main), reported to the Gitea the
// way a CI integration reports a job, as a commit status named by
// loopCheck: pending when the job starts, then success or failure, with
// the run's log as target URL and, on failure, the step the run record
// names. It returns the run and the commit it ran on.
func (l *loopFleet) ci(t *testing.T, name, branch string, pr *runner.PullRequest) (*runner.Run, string) {
	t.Helper()
	dir := l.clone(t, name, branch)
	sha := gitRun(t, dir, "rev-parse", "HEAD")
	event := "push"
	if pr != nil {
		event = "pull_request"
		require.Equal(t, pr.HeadSHA, sha, "the change's head")
	}
	log := fmt.Sprintf("acme/%s/%s-%s.log", name, sha[:12], event)
	url := l.logsURL + "/" + log
	l.status(t, name, sha, loopCheck(event), "pending", url, "paved build-scan-deploy is running")
	start := time.Now()
	run, err := runner.GitHub(context.Background(), shared.rel, runner.Service{Dir: dir, Secrets: secrets(t),
		Env:  append(os.Environ(), "PAVED_GIT_AUTHOR_NAME=paved test", "PAVED_GIT_AUTHOR_EMAIL=test@paved.invalid"),
		Vars: map[string]string{"PAVED_RELEASE_URL": shared.server.ReleaseURL(), "PAVED_DB_REPOSITORY": l.mirror}},
		runner.GitHubOptions{Act: os.Getenv("PAVED_ACT"), Dir: t.TempDir(), CacheDir: l.cache, PullRequest: pr})
	require.NoError(t, err)
	t.Logf("act %s of %s at %s: exit %d in %s", event, name, sha[:12], run.ExitCode, time.Since(start).Round(time.Second))
	require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(l.logs, log)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(l.logs, log), []byte(run.Output), 0o644))
	rec := githubRecord(t, run)
	state, desc := "success", "paved build-scan-deploy: "+string(rec.Status)
	if run.ExitCode != 0 {
		state, desc = "failure", "paved build-scan-deploy failed"
		if rec.Failure != nil {
			desc += " at step " + rec.Failure.Step
		}
	}
	l.status(t, name, sha, loopCheck(event), state, url, desc)
	return run, sha
}

// status posts a commit status on sha of acme/name.
func (l *loopFleet) status(t *testing.T, name, sha, check, state, url, desc string) {
	t.Helper()
	l.srv.Do(t, "POST", "/repos/acme/"+name+"/statuses/"+sha, map[string]string{
		"context": check, "state": state, "target_url": url, "description": desc,
	}, nil)
}

// loopCampaign is the part of status --output json the loop reads.
type loopCampaign struct {
	State, Reason string
	Wave          int
	Services      []loopService
	Gate          struct{ OK, Failed, Missing, Unsettled, BumpFailed []string }
}

type loopService struct {
	Name, Status string
	Wave         int
	Change       *struct{ ID, URL, Head, MergeCommit, State string }
	Health       *struct{ Status, Evidence, URL, Step, Message, Commit string }
}

func (c *loopCampaign) service(t *testing.T, name string) loopService {
	t.Helper()
	for _, s := range c.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %s in the campaign", name)
	return loopService{}
}

// status reads the campaign with status --output json.
func (l *loopFleet) campaign(t *testing.T, id string) *loopCampaign {
	t.Helper()
	code, out := l.paved(t, "status", id, "--output", "json")
	require.Equal(t, 0, code, out)
	var c loopCampaign
	require.NoError(t, json.Unmarshal([]byte(out), &c), out)
	return &c
}

// advanceUntilMerged runs advance --auto-merge until every named service
// is merged: Gitea refuses to merge a pull request it is still checking
// for conflicts (exit 4, transient), as it does after a push.
func (l *loopFleet) advanceUntilMerged(t *testing.T, id string, names ...string) (int, string) {
	t.Helper()
	for try := 0; ; try++ {
		code, out := l.paved(t, "advance", id, "--auto-merge")
		require.Contains(t, []int{0, 3, 4}, code, out) // 3: the merge that settled the wave halted it
		c := l.campaign(t, id)
		merged := 0
		for _, n := range names {
			if c.service(t, n).Status == "merged" {
				merged++
			}
		}
		if merged == len(names) {
			return code, out
		}
		require.Less(t, try, 40, out)
		time.Sleep(250 * time.Millisecond)
	}
}

// deployed is the GitOps remote's deploy record of service in dev.
func (l *loopFleet) deployed(t *testing.T, service string) *deploy.Record {
	t.Helper()
	data := gitRun(t, l.in.GitOps, "show", "main:"+deploy.VersionsFile)
	var v deploy.Versions
	require.NoError(t, yaml.Unmarshal([]byte(data), &v))
	return v.Services[service]["dev"]
}

// recordDeploy commits a deploy record of service in dev to the GitOps
// remote, as a run of paved version at revision would write it.
func (l *loopFleet) recordDeploy(t *testing.T, service, version, revision string) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "gitops")
	gitRun(t, ".", "clone", "-q", l.in.GitOps, work)
	file := filepath.Join(work, deploy.VersionsFile)
	var v deploy.Versions
	if data, err := os.ReadFile(file); err == nil {
		require.NoError(t, yaml.Unmarshal(data, &v))
	}
	if v.Services == nil {
		v.Services = map[string]map[string]*deploy.Record{}
	}
	v.Services[service] = map[string]*deploy.Record{"dev": {Version: "0.0.0", Image: l.in.Registry + "/services/" + service,
		Digest: "sha256:" + strings.Repeat("0", 64), SourceRevision: revision, PavedVersion: version,
		DeployedAt: time.Now().UTC().Format(time.RFC3339)}}
	data, err := yaml.Marshal(&v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o644))
	gitRun(t, work, "add", "-A")
	gitRun(t, work, "commit", "-qm", "deploy("+service+"): a run of paved "+version)
	gitRun(t, work, "push", "-q", "origin", "main")
}
