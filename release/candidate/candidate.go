package candidate

import (
	"context"
	"time"

	"github.com/paved-dev/paved/release/apps"
)

// Runner runs one app's CI with one paved build: the harness's only way
// to run paved, so tests can stand in for the CI and paved with recorded
// outputs while the release-tagged tests run the real wrappers (Wrappers).
type Runner interface {
	// RunApp runs run and says how it ended; the error is for a run that
	// could not be started at all.
	RunApp(ctx context.Context, run AppRun) (RunResult, error)
}

// AppRun is one app run through its CI wrapper.
type AppRun struct {
	// App is the app; Dir its export at its commit, the root of its
	// repository (its paved.yaml, its CI files).
	App apps.App
	Dir string
	// Paved is the build to run.
	Paved Paved
	// Registry (HOST:PORT, with the bases and the database mirror
	// Mirror) and GitOps (a bare remote) are the run's own.
	Registry, Mirror, GitOps string
	// Policy is the platform policy's path, Key the signing key (its
	// .pub beside it), Date the app's commit time (SOURCE_DATE_EPOCH).
	Policy, Key string
	Date        time.Time
	// Env is the run's environment (IsolatedEnv), Work its directory.
	Env  []string
	Work string
}

// RunResult is how a run ended.
type RunResult struct {
	// ExitCode is paved's exit code (or, when paved did not run, the
	// wrapper's); Output the log, Message the error line of a run that
	// left no record.
	ExitCode        int
	Output, Message string
	// Wrapper is true when the wrapper failed before paved ran (its
	// install, its preparation).
	Wrapper bool
	// RecordFile is the run record ("" when none), Dir paved's working
	// directory (relative paths in the record).
	RecordFile, Dir string
	// Source is the service's origin URL, normalised in the comparison
	// when it names a server of this run.
	Source string
}

// Paved is one build of paved taken through the apps.
type Paved struct {
	// Version is the version stamped into the binary.
	Version string `json:"version"`
	// Commit is the paved-repository commit it was built from.
	Commit string `json:"commit"`
	// Binary is the built executable; Tree the source it was built from,
	// whose wrappers the apps run through.
	Binary string `json:"-"`
	Tree   string `json:"-"`
}

// Options are the harness's inputs.
type Options struct {
	// Repo is the paved repository the apps are exported from.
	Repo string
	// Apps are the apps to run; Bases, BasesDir and Fixtures come from
	// release/apps.yaml and the directory of the bases' OCI layouts.
	Apps []apps.App
	// AllApps are the names of every app in the apps file: when Apps
	// leaves one out (--app), the report is partial.
	AllApps  []string
	Bases    []apps.Base
	BasesDir string
	Fixtures apps.Fixtures
	// Candidate is the candidate build; Dirty says its tree had
	// uncommitted changes.
	Candidate Paved
	Dirty     bool
	// Baseline is the previous release, nil for the first release.
	Baseline *Paved
	// Notes are the change notes' expected differences.
	Notes Notes
	// AppsSHA256 and ChangelogSHA256 are the sha256 (hex) of the apps
	// file and of the change notes the check used ("" for none), so
	// publish can tell a report checked against other files.
	AppsSHA256, ChangelogSHA256 string
	// DBDir is the vulnerability database and Key the signing key (its
	// public key next to it, .pub); both runs of an app use the same.
	DBDir, Key string
	// Env is the harness's environment (see SharedCaches). The builds
	// get it whole; each run keeps only PATH, the Go and npm caches,
	// GOEXPERIMENT and COSIGN_PASSWORD, with a HOME of its own
	// (IsolatedEnv).
	Env []string
	// WorkDir holds every run's directory; it is kept for inspection.
	WorkDir string
	// Runner runs the apps; nil means the real wrappers (Wrappers) with
	// Runners, PublicKey and Password.
	Runner Runner
	// Runners are the CI runners' binaries (act, gitlab-ci-local).
	Runners Runners
	// Password is the key's password (COSIGN_PASSWORD): it signs each
	// build's release files (SHA256SUMS) the wrappers install.
	Password func() ([]byte, error)
	// Now is the clock for quarantine expiry and the report; nil means
	// time.Now.
	Now func() time.Time
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// appNames are the apps of the apps file (AllApps), or the apps run.
func (o *Options) appNames() []string {
	if len(o.AllApps) > 0 {
		return o.AllApps
	}
	var out []string
	for _, a := range o.Apps {
		out = append(out, a.Name)
	}
	return out
}
