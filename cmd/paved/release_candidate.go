package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/apps"
	"github.com/paved-dev/paved/release/candidate"
)

func init() {
	registerRelease(newReleaseCandidateCmd)
	registerRelease(newReleaseNextVersionCmd)
}

func newReleaseNextVersionCmd() *cobra.Command {
	var repo, changes string
	cmd := &cobra.Command{
		Use:   "next-version",
		Short: "Print the release version the change notes call for after the latest vX.Y.Z tag",
		Long: `next-version prints the version, vX.Y.Z, that paved release publish computes
from CHANGELOG.md's Unreleased notes (Breaking/Removed: major, Added/Changed:
minor, Fixed/Security: patch; while 0.x a major bump moves the minor) after the
highest vX.Y.Z tag reachable from HEAD (v0.1.0 when there is none). Name a
candidate of it vX.Y.Z-rc.N. Exit 2 when the notes are missing or malformed.`,
		Example: `  # The version make release-check checks a candidate of
  paved release candidate --version "$(paved release next-version)-rc.1" --bases DIR --db-dir DB --key KEY`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, err := filepath.Abs(repo)
			if err != nil {
				return err
			}
			file := orValue(changes, filepath.Join(root, "CHANGELOG.md"))
			data, err := os.ReadFile(file)
			if err != nil {
				return failure.BadInputErr(fmt.Errorf("reading change notes %q: %w", file, err))
			}
			v, err := candidate.NextVersion(cmd.Context(), root, data)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), v)
			return err
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "paved repository")
	cmd.Flags().StringVar(&changes, "changes", "", "change notes (default REPO/CHANGELOG.md)")
	return cmd
}

type releaseCandidateFlags struct {
	version, repo, appsFile, changes, basesDir string
	dbDir, key, workDir, reportMD, reportJSON  string
	act, gitlabCILocal                         string
	apps                                       []string
}

func newReleaseCandidateCmd() *cobra.Command {
	f := &releaseCandidateFlags{}
	cmd := &cobra.Command{
		Use:   "candidate --version vX.Y.Z-rc.N",
		Short: "Run a paved candidate and the previous release on the reference apps and diff what they produce",
		Long: `candidate builds paved from HEAD (a git archive export, stamped --version;
uncommitted changes are not in it and the report records dirty: true) and the
previous release (the highest vX.Y.Z tag reachable from HEAD, built from that
tag's tree), both with the release flags (CGO_ENABLED=0, -trimpath,
-buildvcs=false, -ldflags "-s -w -X …version"), then runs each on every app of
release/apps.yaml, exported at its pinned commit, through the app's own CI
wrapper (ci: github runs its .github/workflows/paved.yml with act, gitlab its
.gitlab-ci.yml with gitlab-ci-local), taken from the build's own tree and
installing the build as a signed release served locally; each run has its own
embedded registry (the database as a mirror) and GitOps remote, on the same
database, key and SOURCE_DATE_EPOCH. A wrapper that breaks fails at the
wrapper step. It diffs image config, annotations and layers, SBOM package
set, scan findings, gate verdict, attestations and the GitOps change, and
classifies each difference: expected when CHANGELOG.md's Unreleased section
names it with "(release-diff: APP/STEP/ASPECT)", otherwise a regression. A run
exiting 4 is retried once (infra-flake if it fails again); an app that fails
at the same step with the baseline is app-broken; a quarantined app never
blocks. Without a release tag (the first release) the candidate must pass
every app on its own.

The markdown report goes to stdout (and --report-md); the JSON report
(paved.dev/release-candidate-report/v1: version, commit, dirty, verdict, apps)
to --report-json. COSIGN_PASSWORD is the key's password.
Exit codes: 0 pass, 2 bad input (version, apps.yaml, a quarantine expired or
more than 30 days ahead, a change-note key naming no aspect or an unknown app,
an app missing at its commit, a shallow clone, --key, --db-dir or --bases
missing), 3 the candidate did not pass (including: it does not compile), 4
only infra flakes kept it from passing.`,
		Example: `  # What make release-check runs, after building the bases, database and keys
  COSIGN_PASSWORD=check paved release candidate --version v0.1.0-rc.1 \
    --bases .paved/release/bases --db-dir .paved/release/db --key .paved/release/keys/cosign.key \
    --report-json .paved/release/report.json

  # One app only
  paved release candidate --version v0.2.0-rc.2 --app go-api --bases DIR --db-dir DB --key KEY`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReleaseCandidate(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.version, "version", "", "candidate version, vX.Y.Z-rc.N (required)")
	fl.StringVar(&f.repo, "repo", ".", "paved repository: the candidate's work tree and the apps' history")
	fl.StringVar(&f.appsFile, "apps", "", "apps file (default REPO/"+apps.File+")")
	fl.StringArrayVar(&f.apps, "app", nil, "run only this app (repeatable)")
	fl.StringVar(&f.changes, "changes", "", "change notes naming expected differences (default REPO/CHANGELOG.md)")
	fl.StringVar(&f.basesDir, "bases", "", "directory of the bases' OCI layouts named in the apps file")
	dbDirFlag(cmd, &f.dbDir)
	fl.StringVar(&f.key, "key", "", "cosign.key both versions sign with (password from $COSIGN_PASSWORD)")
	fl.StringVar(&f.workDir, "work-dir", "", "directory for the builds and every run (default REPO/.paved/release/VERSION)")
	fl.StringVar(&f.reportMD, "report-md", "", "also write the markdown report to this file")
	fl.StringVar(&f.reportJSON, "report-json", "", "write the JSON report to this file")
	fl.StringVar(&f.act, "act", getenv(envAct), "nektos/act, for apps with ci: github (env "+envAct+"; default act on PATH)")
	fl.StringVar(&f.gitlabCILocal, "gitlab-ci-local", getenv(envGitLabCILocal), "gitlab-ci-local, for apps with ci: gitlab (env "+envGitLabCILocal+"; default gitlab-ci-local on PATH)")
	_ = cmd.MarkFlagRequired("version")
	return cmd
}

func runReleaseCandidate(cmd *cobra.Command, f *releaseCandidateFlags) error {
	ctx := cmd.Context()
	o, err := releaseCandidateOptions(cmd, f)
	if err != nil {
		return err
	}
	rep, err := candidate.Check(ctx, *o)
	if err != nil {
		return err
	}
	if err := writeReleaseReports(cmd, rep, f); err != nil {
		return err
	}
	switch {
	case rep.Verdict == candidate.Pass:
		return nil
	case rep.OnlyInfra():
		return failure.TransientErr(fmt.Errorf("candidate %s did not pass: infrastructure flakes (%s); run it again", rep.Version, strings.Join(rep.Blocking(), ", ")))
	}
	return failure.PolicyErr(fmt.Errorf("candidate %s did not pass: %s; fix the candidate, name expected differences in CHANGELOG.md (release-diff: APP/STEP/ASPECT), or quarantine a broken app in %s", rep.Version, strings.Join(rep.Blocking(), ", "), apps.File))
}

// releaseCandidateOptions loads the inputs and builds the candidate and
// the baseline.
func releaseCandidateOptions(cmd *cobra.Command, f *releaseCandidateFlags) (*candidate.Options, error) {
	ctx := cmd.Context()
	// The version's form first, so a typo fails before anything is read.
	if err := candidate.CheckVersion(f.version, ""); err != nil {
		return nil, err
	}
	repo, err := filepath.Abs(f.repo)
	if err != nil {
		return nil, err
	}
	appsFile := orValue(f.appsFile, filepath.Join(repo, apps.File))
	list, err := apps.Load(appsFile)
	if err != nil {
		return nil, err
	}
	appsSum, err := fileSHA256(appsFile)
	if err != nil {
		return nil, err
	}
	if err := list.CheckQuarantines(time.Now()); err != nil {
		return nil, err
	}
	selected, err := list.Select(f.apps)
	if err != nil {
		return nil, err
	}
	inputs := candidate.Inputs{BasesDir: absOr(f.basesDir), Bases: list.Bases, DBDir: absOr(f.dbDir), Key: absOr(f.key)}
	if err := inputs.Check(); err != nil {
		return nil, err
	}
	runners, err := candidateRunners(f, selected)
	if err != nil {
		return nil, err
	}
	state, err := candidate.RepoState(ctx, repo)
	if err != nil {
		return nil, err
	}
	tag, tagCommit, err := candidate.LatestRelease(ctx, repo)
	if err != nil && !errors.Is(err, candidate.ErrNoRelease) {
		return nil, err
	}
	if err := candidate.CheckVersion(f.version, tag); err != nil {
		return nil, err
	}
	notes, notesSum, err := readNotes(orValue(f.changes, filepath.Join(repo, "CHANGELOG.md")))
	if err != nil {
		return nil, err
	}
	work, err := filepath.Abs(orValue(f.workDir, filepath.Join(repo, ".paved", "release", f.version)))
	if err != nil {
		return nil, err
	}
	o := &candidate.Options{
		Repo: repo, Apps: selected, Bases: list.Bases, BasesDir: absOr(f.basesDir), Fixtures: list.Fixtures,
		AllApps: appNames(list.Apps), AppsSHA256: appsSum, ChangelogSHA256: notesSum,
		Dirty: state.Dirty, Notes: notes, DBDir: absOr(f.dbDir), Key: absOr(f.key), Env: candidate.SharedCaches(environ()),
		WorkDir: filepath.Join(work, "runs"),
		Runners: runners, Password: keyPassword(cmd.ErrOrStderr()),
		Candidate: candidate.Paved{Version: f.version, Commit: state.Commit, Binary: filepath.Join(work, "bin", "paved-candidate"),
			Tree: filepath.Join(work, "candidate-src")},
	}
	stderr := cmd.ErrOrStderr()
	if state.Dirty {
		fmt.Fprintf(stderr, "paved: the work tree has uncommitted changes: they are not in the candidate, built from HEAD %s (the report records dirty: true; publish refuses it)\n", state.Commit)
	}
	fmt.Fprintf(stderr, "paved: building candidate %s from HEAD (git archive of %s)\n", f.version, state.Commit)
	if err := candidate.BuildCommit(ctx, repo, state.Commit, f.version, filepath.Join(work, "candidate-src"), o.Candidate.Binary, o.Env); err != nil {
		if errors.Is(err, candidate.ErrCompile) {
			// The candidate did not pass: it does not even build.
			return nil, failure.PolicyErr(fmt.Errorf("candidate %s: %w", f.version, err))
		}
		return nil, err
	}
	if tag == "" {
		fmt.Fprintln(stderr, "paved: no release tag: first release, no baseline")
		return o, nil
	}
	o.Baseline = &candidate.Paved{Version: tag, Commit: tagCommit, Binary: filepath.Join(work, "bin", "paved-baseline"),
		Tree: filepath.Join(work, "baseline-src")}
	fmt.Fprintf(stderr, "paved: building baseline %s from its tag\n", tag)
	if err := candidate.BuildCommit(ctx, repo, tag, tag, filepath.Join(work, "baseline-src"), o.Baseline.Binary, o.Env); err != nil {
		return nil, err
	}
	return o, nil
}

// candidateRunners finds the CI runners the selected apps need: a missing
// one is bad input before anything is built.
func candidateRunners(f *releaseCandidateFlags, selected []apps.App) (candidate.Runners, error) {
	r := candidate.Runners{Act: f.act, GitLabCILocal: f.gitlabCILocal}
	for _, app := range selected {
		bin, flag, name := &r.Act, "--act", "act"
		if app.CI == apps.GitLab {
			bin, flag, name = &r.GitLabCILocal, "--gitlab-ci-local", "gitlab-ci-local"
		}
		if *bin == "" {
			path, err := exec.LookPath(name)
			if err != nil {
				return r, failure.BadInputErr(fmt.Errorf("app %q runs through %s: give %s (hack/tools.sh %s builds it)", app.Name, name, flag, name))
			}
			*bin = path
		}
	}
	return r, nil
}

func readNotes(file string) (candidate.Notes, string, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", failure.BadInputErr(fmt.Errorf("reading change notes %q: %w", file, err))
	}
	sum := sha256.Sum256(data)
	return candidate.ParseNotes(string(data)), hex.EncodeToString(sum[:]), nil
}

func fileSHA256(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("reading apps file %q: %w", file, err))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func appNames(list []apps.App) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Name)
	}
	return out
}

func writeReleaseReports(cmd *cobra.Command, rep *candidate.Report, f *releaseCandidateFlags) error {
	if err := rep.WriteMarkdown(cmd.OutOrStdout()); err != nil {
		return err
	}
	write := func(file string, w func(*os.File) error) error {
		if file == "" {
			return nil
		}
		out, err := os.Create(file)
		if err != nil {
			return fmt.Errorf("writing report %q: %w", file, err)
		}
		if err := w(out); err != nil {
			out.Close()
			return fmt.Errorf("writing report %q: %w", file, err)
		}
		return out.Close()
	}
	if err := write(f.reportMD, func(o *os.File) error { return rep.WriteMarkdown(o) }); err != nil {
		return err
	}
	return write(f.reportJSON, func(o *os.File) error { return rep.WriteJSON(o) })
}

func absOr(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
