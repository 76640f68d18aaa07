package candidate

import (
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/paved-dev/paved/release/apps"
	"github.com/paved-dev/paved/release/snapshot"
)

// ReportSchema is the schemaVersion of the JSON report. Its fields are
// stable within v1: fields are only added. paved release publish reads
// version, commit and verdict.
const ReportSchema = "paved.dev/release-candidate-report/v1"

// Overall verdicts.
const (
	Pass = "pass"
	Fail = "fail"
)

// Report is the harness's result (JSON: release-candidate-report/v1).
type Report struct {
	SchemaVersion string `json:"schemaVersion"`
	// Version is the candidate's version; Commit the repository HEAD it
	// was built from; Dirty says the work tree had uncommitted changes.
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Dirty   bool   `json:"dirty"`
	// Verdict is pass or fail: fail when an app blocks (a verdict other
	// than pass, not excused by a quarantine) or when no app passed
	// without a quarantine.
	Verdict string `json:"verdict"`
	// Partial says not every app of the apps file ran (--app); AllApps
	// names them all. paved release publish refuses a partial report.
	Partial bool     `json:"partial"`
	AllApps []string `json:"allApps"`
	// AppsSHA256 and ChangelogSHA256 are the sha256 (hex) of the apps
	// file and the change notes (CHANGELOG.md) the check used.
	AppsSHA256      string `json:"appsSHA256"`
	ChangelogSHA256 string `json:"changelogSHA256"`
	// Baseline is the previous release compared against; nil for the
	// first release, with BaselineNote saying so.
	Baseline     *Paved `json:"baseline"`
	BaselineNote string `json:"baselineNote,omitempty"`
	// Notes are the expected differences the change notes name;
	// UnmatchedNotes those that matched no difference of any app run
	// (a stale note, or a change that did not happen).
	Notes           Notes       `json:"notes"`
	UnmatchedNotes  Notes       `json:"unmatchedNotes"`
	StartedAt       time.Time   `json:"startedAt"`
	DurationSeconds float64     `json:"durationSeconds"`
	Apps            []AppResult `json:"apps"`
}

// AppResult is one app's result.
type AppResult struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Commit string `json:"commit"`
	// Verdict is pass, regression, app-broken or infra-flake; Blocking
	// says it stops the release (not pass, not quarantined).
	Verdict    string      `json:"verdict"`
	Blocking   bool        `json:"blocking"`
	Quarantine *Quarantine `json:"quarantine,omitempty"`
	Candidate  RunSummary  `json:"candidate"`
	// Baseline is nil for the first release.
	Baseline    *RunSummary  `json:"baseline"`
	Differences []Classified `json:"differences"`
}

// Quarantine is an app's active quarantine.
type Quarantine struct {
	Reason string `json:"reason"`
	Until  string `json:"until"`
}

// RunSummary is one paved build's run of an app.
type RunSummary struct {
	// Status is ok or failed; ExitCode paved's; Attempts 2 after a retry.
	Status          string            `json:"status"`
	ExitCode        int               `json:"exitCode"`
	Attempts        int               `json:"attempts"`
	DurationSeconds float64           `json:"durationSeconds"`
	Failure         *snapshot.Failure `json:"failure,omitempty"`
	Steps           []snapshot.Step   `json:"steps"`
}

func summarise(o *Outcome) RunSummary {
	s := o.Snapshot
	return RunSummary{
		Status: s.Status, ExitCode: s.ExitCode, Attempts: o.Attempts,
		DurationSeconds: o.DurationSeconds, Failure: s.Failure, Steps: s.Steps,
	}
}

// firstReleaseNote is the report's word on a missing baseline.
const firstReleaseNote = "first release: no vX.Y.Z tag is reachable from HEAD, so there is no baseline to diff against; the candidate must pass every app on its own"

func newReport(o Options, start time.Time) *Report {
	r := &Report{
		SchemaVersion: ReportSchema, Version: o.Candidate.Version, Commit: o.Candidate.Commit,
		Dirty: o.Dirty, Baseline: o.Baseline, Notes: o.Notes, StartedAt: start.UTC(),
		AllApps: o.AllApps, AppsSHA256: o.AppsSHA256, ChangelogSHA256: o.ChangelogSHA256,
		Partial: partial(o.Apps, o.AllApps),
	}
	if o.Baseline == nil {
		r.BaselineNote = firstReleaseNote
	}
	if r.Notes == nil {
		r.Notes = Notes{}
	}
	return r
}

// unmatched are the notes no difference matched.
func (r *Report) unmatched() Notes {
	out := Notes{}
	for _, n := range r.Notes {
		used := false
		for _, a := range r.Apps {
			for _, d := range a.Differences {
				used = used || keyMatches(n.Key, d.Key(a.Name))
			}
		}
		if !used {
			out = append(out, n)
		}
	}
	return out
}

// partial reports whether an app of all did not run (all empty: unknown,
// so partial).
func partial(ran []apps.App, all []string) bool {
	if len(all) == 0 {
		return true
	}
	for _, name := range all {
		if !slices.ContainsFunc(ran, func(a apps.App) bool { return a.Name == name }) {
			return true
		}
	}
	return false
}

// noPassReason is Blocking's word on a candidate no unquarantined app
// vouches for.
const noPassReason = "no app passed without a quarantine"

func (r *Report) finish(end time.Time) {
	r.DurationSeconds = end.Sub(r.StartedAt).Seconds()
	r.Verdict = Pass
	if !r.somePassed() {
		r.Verdict = Fail
	}
	for _, a := range r.Apps {
		if a.Blocking {
			r.Verdict = Fail
		}
	}
}

// somePassed reports whether an app passed without a quarantine.
func (r *Report) somePassed() bool {
	for _, a := range r.Apps {
		if a.Verdict == VerdictPass && a.Quarantine == nil {
			return true
		}
	}
	return false
}

// Blocking returns the verdicts of the apps that block the release, and
// noPassReason when no unquarantined app passed.
func (r *Report) Blocking() []string {
	var out []string
	for _, a := range r.Apps {
		if a.Blocking {
			out = append(out, a.Name+": "+a.Verdict)
		}
	}
	if !r.somePassed() {
		out = append(out, noPassReason)
	}
	return out
}

// OnlyInfra reports whether every blocking app is an infra-flake: the
// release did not pass, and nothing is blamed on the candidate.
func (r *Report) OnlyInfra() bool {
	if !r.somePassed() {
		return false
	}
	for _, a := range r.Apps {
		if a.Blocking && a.Verdict != VerdictInfraFlake {
			return false
		}
	}
	return r.Verdict == Fail
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
