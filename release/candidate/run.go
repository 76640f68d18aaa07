package candidate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/apps"
	"github.com/paved-dev/paved/release/snapshot"
)

// Check takes the candidate (and the baseline, when there is one) through
// every app and returns the report. The error is for the harness itself
// (an app missing at its commit, a fixture that cannot be exported); what
// paved does in a run is in the report.
func Check(ctx context.Context, o Options) (*Report, error) {
	start := o.now()
	if err := o.Notes.Check(o.appNames()); err != nil {
		return nil, err
	}
	if err := checkApps(ctx, o); err != nil {
		return nil, err
	}
	rep := newReport(o, start)
	for _, app := range o.Apps {
		res, err := checkApp(ctx, o, app)
		if err != nil {
			return nil, fmt.Errorf("checking app %q: %w", app.Name, err)
		}
		rep.Apps = append(rep.Apps, *res)
	}
	rep.UnmatchedNotes = rep.unmatched()
	rep.finish(o.now())
	return rep, nil
}

// checkApps fails before anything runs when an app or a fixture is not in
// the tree of its pinned commit.
func checkApps(ctx context.Context, o Options) error {
	for _, app := range o.Apps {
		if !HasCommit(ctx, o.Repo, app.Commit) {
			return failure.BadInputErr(fmt.Errorf("exporting app %q: commit %s is not in repository %q: fetch the full history (git fetch --unshallow --tags), or pin the app at a commit of this repository (%s)", app.Name, app.Commit, o.Repo, apps.File))
		}
		for _, p := range []string{app.Path, o.Fixtures.Policy, o.Fixtures.GitOps} {
			if p != "" && !HasPath(ctx, o.Repo, app.Commit, p) {
				return failure.BadInputErr(fmt.Errorf("exporting app %q at commit %s: %s is not in that commit's tree: pin the app at a commit that has it (%s)", app.Name, app.Commit, p, apps.File))
			}
		}
	}
	return nil
}

func checkApp(ctx context.Context, o Options, app apps.App) (*AppResult, error) {
	epoch, err := CommitTime(ctx, o.Repo, app.Commit)
	if err != nil {
		return nil, err
	}
	var base *Outcome
	if o.Baseline != nil {
		if base, err = runWithRetry(ctx, o, app, *o.Baseline, "baseline", epoch); err != nil {
			return nil, err
		}
	}
	cand, err := runWithRetry(ctx, o, app, o.Candidate, "candidate", epoch)
	if err != nil {
		return nil, err
	}
	verdict, diffs := Classify(app.Name, base, cand, o.Notes)
	res := &AppResult{
		Name: app.Name, Path: app.Path, Commit: app.Commit, Verdict: verdict, Differences: diffs,
		Candidate: summarise(cand),
	}
	if base != nil {
		b := summarise(base)
		res.Baseline = &b
	}
	if q := app.Quarantine; q.Active(o.now()) {
		res.Quarantine = &Quarantine{Reason: q.Reason, Until: q.Until}
	}
	res.Blocking = verdict != VerdictPass && !(res.Quarantine != nil && excused(verdict))
	return res, nil
}

// excused reports whether a quarantine excuses verdict: only a broken app
// or flaky infrastructure, never a regression of the candidate.
func excused(verdict string) bool {
	return verdict == VerdictAppBroken || verdict == VerdictInfraFlake
}

// runWithRetry runs app with p, and once more in a fresh directory when
// the first attempt exits with the transient code 4.
func runWithRetry(ctx context.Context, o Options, app apps.App, p Paved, label string, epoch time.Time) (*Outcome, error) {
	start := time.Now()
	var snap *snapshot.Snapshot
	attempt := 0
	for attempt < 2 {
		attempt++
		dir := filepath.Join(o.WorkDir, app.Name, label, "attempt-"+strconv.Itoa(attempt))
		var err error
		if snap, err = runOnce(ctx, o, app, p, label, dir, epoch); err != nil {
			return nil, fmt.Errorf("running the %s %s: %w", label, p.Version, err)
		}
		if snap.ExitCode != exitTransient {
			break
		}
	}
	return &Outcome{Snapshot: snap, Attempts: attempt, DurationSeconds: time.Since(start).Seconds()}, nil
}

// runOnce exports the app, prepares it, gives it a fresh registry and
// GitOps remote, runs paved build-scan-deploy and collects the outputs.
func runOnce(ctx context.Context, o Options, app apps.App, p Paved, label, dir string, epoch time.Time) (*snapshot.Snapshot, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	src := filepath.Join(dir, "src")
	paths := []string{app.Path, o.Fixtures.Policy, o.Fixtures.GitOps}
	if err := Export(ctx, o.Repo, app.Commit, src, nonEmpty(paths)...); err != nil {
		return nil, fmt.Errorf("exporting app %q at commit %s: %w", app.Name, app.Commit, err)
	}
	appDir := filepath.Join(src, filepath.FromSlash(app.Path))
	env, err := IsolatedEnv(o.Env, dir)
	if err != nil {
		return nil, err
	}
	env = append(env,
		"SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch.Unix(), 10),
		"PAVED_GIT_AUTHOR_NAME=paved release", "PAVED_GIT_AUTHOR_EMAIL=release@paved.invalid")
	if snap, err := prepare(ctx, o, app, appDir, env); snap != nil || err != nil {
		return snap, err
	}
	in, err := runner.StartInfra(ctx, filepath.Join(dir, "registry"))
	if err != nil {
		return nil, err
	}
	defer in.Close()
	for _, b := range o.Bases {
		if err := in.PushLayout(ctx, filepath.Join(o.BasesDir, b.Layout), b.Image); err != nil {
			return nil, fmt.Errorf("pushing base %q: %w", b.Image, err)
		}
	}
	if o.Fixtures.GitOps != "" {
		if err := in.SeedGitOps(ctx, filepath.Join(src, filepath.FromSlash(o.Fixtures.GitOps)), pubKey(o.Key), dir); err != nil {
			return nil, err
		}
	}
	reportDir := filepath.Join(dir, "report")
	args := append([]string{"run", "build-scan-deploy"}, app.Wrapper.Args(appDir)...)
	args = append(args, "--registry", in.Registry, "--db-dir", o.DBDir, "--key", o.Key,
		"--report-dir", reportDir, "--revision", app.Commit, "--run-id", "release-"+app.Name, "--progress", "plain")
	if in.GitOps != "" {
		args = append(args, "--gitops-repo", in.GitOps)
	}
	res, err := o.runner().Run(ctx, Invocation{Binary: p.Binary, Args: args, Dir: src, Env: env})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "paved.log"), []byte(res.Output), 0o644); err != nil {
		return nil, err
	}
	snap, err := snapshot.Collect(ctx, snapshot.Input{
		ExitCode: res.ExitCode, Output: res.Output, RecordFile: filepath.Join(reportDir, "paved-run.json"), Dir: src,
		Registry: in.Registry, GitOpsRepo: in.GitOps, GitOpsSeed: in.GitOpsSeed,
	})
	if err != nil && label == "candidate" {
		// What the candidate left cannot be read (a record that does not
		// decode, an image it names but did not push): it failed.
		return collectFailed(res.ExitCode, err), nil
	}
	return snap, err
}

// collectFailed is a candidate run whose outputs could not be collected:
// failed at the collect step.
func collectFailed(exitCode int, err error) *snapshot.Snapshot {
	msg := "collecting its outputs: " + err.Error()
	return &snapshot.Snapshot{
		Status: snapshot.StatusFailed, ExitCode: exitCode,
		Failure: &snapshot.Failure{Step: snapshot.StepCollect, ExitCode: exitCode, Message: msg},
		Steps:   []snapshot.Step{{Name: snapshot.StepCollect, Status: snapshot.StatusFailed, Error: msg}},
	}
}

// prepare runs the app's preparation; a failing command makes a snapshot
// failed at the prepare step.
func prepare(ctx context.Context, o Options, app apps.App, appDir string, env []string) (*snapshot.Snapshot, error) {
	for _, command := range app.Prepare {
		f := strings.Fields(command)
		bin := f[0]
		if strings.Contains(bin, "/") {
			bin = filepath.Join(appDir, bin)
		}
		res, err := o.runner().Run(ctx, Invocation{Binary: bin, Args: f[1:], Dir: appDir, Env: env})
		if err != nil {
			return nil, err
		}
		if res.ExitCode != 0 {
			msg := fmt.Sprintf("%s exited with %d: %s", command, res.ExitCode, lastLine(res.Output))
			return &snapshot.Snapshot{
				Status: snapshot.StatusFailed, ExitCode: 1, // paved did not run
				Failure: &snapshot.Failure{Step: snapshot.StepPrepare, ExitCode: res.ExitCode, Message: msg},
				Steps:   []snapshot.Step{{Name: snapshot.StepPrepare, Status: snapshot.StatusFailed, Error: msg}},
			}, nil
		}
	}
	return nil, nil
}

func pubKey(key string) string { return strings.TrimSuffix(key, ".key") + ".pub" }

func nonEmpty(s []string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
