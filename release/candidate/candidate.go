package candidate

import (
	"context"
	"time"

	"github.com/paved-dev/paved/release/apps"
)

// Runner runs one program to completion: the harness's only way to run
// paved and an app's preparation, so tests can stand in for paved with
// recorded outputs while the release-tagged test runs real binaries.
type Runner interface {
	// Run runs inv and returns its exit code and output; the error is for
	// a program that could not be started at all.
	Run(ctx context.Context, inv Invocation) (Result, error)
}

// Invocation is one program to run.
type Invocation struct {
	// Binary is the program's path; Args its arguments (without argv[0]).
	Binary string
	Args   []string
	// Dir is the working directory; Env the whole environment.
	Dir string
	Env []string
}

// Result is how a run ended.
type Result struct {
	ExitCode int
	// Output is the program's combined output.
	Output string
}

// Paved is one build of paved taken through the apps.
type Paved struct {
	// Version is the version stamped into the binary.
	Version string `json:"version"`
	// Commit is the paved-repository commit it was built from.
	Commit string `json:"commit"`
	// Binary is the built executable.
	Binary string `json:"-"`
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
	// Runner runs the programs; nil means ExecRunner.
	Runner Runner
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

func (o *Options) runner() Runner {
	if o.Runner != nil {
		return o.Runner
	}
	return ExecRunner{}
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
