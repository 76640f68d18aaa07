package candidate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vulndb"
	"github.com/paved-dev/paved/release/apps"
	"github.com/paved-dev/paved/release/snapshot"
)

// Check takes the candidate (and the baseline, when there is one) through
// every app and returns the report. The error is for the harness itself
// (an app missing at its commit, a fixture that cannot be exported); what
// paved does in a run is in the report.
func Check(ctx context.Context, o Options) (*Report, error) {
	start := o.now()
	if o.Runner == nil {
		w := &Wrappers{Runners: o.Runners, Key: o.Key, Password: o.Password, Dir: o.WorkDir}
		defer w.Close()
		o.Runner = w
	}
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
	// The baseline and the candidate run the app one after the other in
	// the same directory on the same registry address: the service's
	// paved.yaml (which names them) and so its commit are the same for
	// both, as the source of a release is.
	addr, err := runner.FreeAddr()
	if err != nil {
		return nil, err
	}
	var base *Outcome
	if o.Baseline != nil {
		if base, err = runWithRetry(ctx, o, app, *o.Baseline, "baseline", epoch, addr); err != nil {
			return nil, err
		}
	}
	cand, err := runWithRetry(ctx, o, app, o.Candidate, "candidate", epoch, addr)
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
func runWithRetry(ctx context.Context, o Options, app apps.App, p Paved, label string, epoch time.Time, addr string) (*Outcome, error) {
	start := time.Now()
	var snap *snapshot.Snapshot
	attempt := 0
	live := filepath.Join(o.WorkDir, app.Name, "run")
	for attempt < 2 {
		attempt++
		dir := filepath.Join(o.WorkDir, app.Name, label, "attempt-"+strconv.Itoa(attempt))
		var err error
		snap, err = runOnce(ctx, o, app, p, label, live, epoch, addr)
		if err == nil {
			err = keep(live, dir)
		}
		if err != nil {
			return nil, fmt.Errorf("running the %s %s: %w", label, p.Version, err)
		}
		if snap.ExitCode != exitTransient {
			break
		}
	}
	return &Outcome{Snapshot: snap, Attempts: attempt, DurationSeconds: time.Since(start).Seconds()}, nil
}

// runOnce exports the app, gives it a fresh registry (with the bases and
// the vulnerability database as a mirror) and GitOps remote, runs it
// through its CI wrapper with p, and collects the outputs.
func runOnce(ctx context.Context, o Options, app apps.App, p Paved, label, dir string, epoch time.Time, addr string) (*snapshot.Snapshot, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	src := filepath.Join(dir, "src")
	paths := []string{app.Path, o.Fixtures.Policy, o.Fixtures.GitOps}
	if err := Export(ctx, o.Repo, app.Commit, src, nonEmpty(paths...)...); err != nil {
		return nil, fmt.Errorf("exporting app %q at commit %s: %w", app.Name, app.Commit, err)
	}
	env, err := IsolatedEnv(o.Env, dir)
	if err != nil {
		return nil, err
	}
	env = append(env,
		"SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch.Unix(), 10),
		"PAVED_GIT_AUTHOR_NAME=paved release", "PAVED_GIT_AUTHOR_EMAIL=release@paved.invalid")
	in, err := runner.StartInfraOn(ctx, filepath.Join(dir, "registry"), addr)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	mirror, err := provision(ctx, o, in, src, dir)
	if err != nil {
		return nil, err
	}
	res, err := o.Runner.RunApp(ctx, AppRun{
		App: app, Dir: filepath.Join(src, filepath.FromSlash(app.Path)), Paved: p,
		Registry: in.Registry, Mirror: mirror, GitOps: in.GitOps, Policy: filepath.Join(src, filepath.FromSlash(o.Fixtures.Policy)),
		Key: o.Key, Date: epoch, Env: env, Work: filepath.Join(dir, "run"),
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "ci.log"), []byte(res.Output), 0o644); err != nil {
		return nil, err
	}
	output := res.Output
	if res.Message != "" {
		output = res.Message
	}
	snap, err := snapshot.Collect(ctx, snapshot.Input{
		ExitCode: res.ExitCode, Output: output, Wrapper: res.Wrapper, RecordFile: res.RecordFile, Dir: res.Dir,
		Reports: filepath.Dir(res.RecordFile), Registry: in.Registry, Source: res.Source, GitOpsRepo: in.GitOps, GitOpsSeed: in.GitOpsSeed,
	})
	if err != nil && label == "candidate" {
		// What the candidate left cannot be read (a record that does not
		// decode, an image it names but did not push): it failed.
		return collectFailed(res.ExitCode, err), nil
	}
	return snap, err
}

// provision pushes the bases and the vulnerability database (as Trivy's
// artifact: the wrappers' paved db update pulls it from this mirror) into
// the run's registry and seeds its GitOps remote; it returns the mirror.
func provision(ctx context.Context, o Options, in *runner.Infra, src, dir string) (string, error) {
	for _, b := range o.Bases {
		if err := in.PushLayout(ctx, filepath.Join(o.BasesDir, b.Layout), b.Image); err != nil {
			return "", fmt.Errorf("pushing base %q: %w", b.Image, err)
		}
	}
	mirror := in.Registry + "/mirror/trivy-db:2"
	art, err := vulndb.Artifact(o.DBDir)
	if err != nil {
		return "", err
	}
	ref, err := name.ParseReference(mirror)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, art, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing the vulnerability database to %s: %w", mirror, err)
	}
	if o.Fixtures.GitOps != "" {
		if err := in.SeedGitOps(ctx, filepath.Join(src, filepath.FromSlash(o.Fixtures.GitOps)), pubKey(o.Key), dir); err != nil {
			return "", err
		}
	}
	return mirror, nil
}

// keep moves the run directory live to dir, where the attempt's files
// stay for the report, and frees live for the next run.
func keep(live, dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Rename(live, dir); err != nil {
		return fmt.Errorf("keeping the run's files in %q: %w", dir, err)
	}
	return nil
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

func pubKey(key string) string { return strings.TrimSuffix(key, ".key") + ".pub" }

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
