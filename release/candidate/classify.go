package candidate

import (
	"github.com/paved-dev/paved/release/snapshot"
)

// App verdicts.
const (
	VerdictPass       = "pass"
	VerdictRegression = "regression"
	VerdictAppBroken  = "app-broken"
	VerdictInfraFlake = "infra-flake"
)

// Difference classifications.
const (
	ClassExpected   = "expected"
	ClassRegression = "regression"
)

// exitTransient is paved's exit code for a transient failure.
const exitTransient = 4

// Outcome is one paved build's run of one app, after any retry.
type Outcome struct {
	Snapshot *snapshot.Snapshot
	// Attempts is 2 when the first attempt exited with the transient
	// code 4 and was retried.
	Attempts        int
	DurationSeconds float64
}

func (o *Outcome) flaked() bool {
	return o != nil && o.Snapshot.ExitCode == exitTransient
}

// Classified is a difference with its classification.
type Classified struct {
	snapshot.Difference
	// Classification is expected or regression; Note the change-notes
	// entry that expects it.
	Classification string `json:"classification"`
	Note           string `json:"note,omitempty"`
}

// Classify decides an app's verdict from the baseline's outcome (nil for
// the first release) and the candidate's, and classifies each difference
// against the change notes.
//
// A candidate that exits 4 twice is an infra-flake only when the baseline
// flaked too or there is none: when the baseline passed on the same inputs,
// the candidate's exit is compared like any other. When both fail at the
// same step the app is app-broken, provided nothing else differs: the exit
// codes, and every aspect of the steps both completed.
func Classify(app string, base, cand *Outcome, notes Notes) (string, []Classified) {
	if cand.flaked() && (base == nil || base.flaked()) {
		return VerdictInfraFlake, nil
	}
	if base.flaked() && !cand.flaked() {
		// Nothing to compare the candidate with.
		return VerdictInfraFlake, nil
	}
	candFailed := cand.Snapshot.Status != snapshot.StatusOK
	if base == nil {
		if !candFailed {
			return VerdictPass, nil
		}
		// Nothing to blame but the candidate: the first release must
		// pass every app on its own.
		step := cand.Snapshot.FailedStep()
		d := snapshot.Difference{Step: step, Aspect: "status", Baseline: "no baseline", Candidate: statusOf(cand.Snapshot, step)}
		return VerdictRegression, classify(app, []snapshot.Difference{d}, notes)
	}
	if candFailed && base.Snapshot.Status != snapshot.StatusOK && base.Snapshot.FailedStep() == cand.Snapshot.FailedStep() {
		diffs := classify(app, bothBroken(base.Snapshot, cand.Snapshot), notes)
		if regressed(diffs) {
			return VerdictRegression, diffs
		}
		return VerdictAppBroken, diffs
	}
	diffs := classify(app, snapshot.Diff(base.Snapshot, cand.Snapshot), notes)
	if regressed(diffs) || candFailed {
		// A failing run never passes, even when every difference was
		// expected.
		return VerdictRegression, diffs
	}
	return VerdictPass, diffs
}

// bothBroken are the differences of two runs that failed at the same
// step: the exit code, the status of every other step, and the aspects
// of the steps both completed (the failing step's message is not
// compared: it names run-specific paths and addresses).
func bothBroken(base, cand *snapshot.Snapshot) []snapshot.Difference {
	failed := cand.FailedStep()
	completed := func(step string) bool {
		b, c := base.Step(step), cand.Step(step)
		return b != nil && c != nil && b.Status == snapshot.StatusOK && c.Status == snapshot.StatusOK
	}
	var out []snapshot.Difference
	for _, d := range snapshot.Diff(base, cand) {
		switch {
		case d.Aspect == "exitCode",
			d.Aspect == "status" && d.Step != failed,
			d.Aspect != "status" && completed(d.Step):
			out = append(out, d)
		}
	}
	return out
}

func regressed(diffs []Classified) bool {
	for _, d := range diffs {
		if d.Classification == ClassRegression {
			return true
		}
	}
	return false
}

func classify(app string, diffs []snapshot.Difference, notes Notes) []Classified {
	out := make([]Classified, 0, len(diffs))
	for _, d := range diffs {
		c := Classified{Difference: d, Classification: ClassRegression}
		if n, ok := notes.Match(d.Key(app)); ok {
			c.Classification, c.Note = ClassExpected, n.Entry
		}
		out = append(out, c)
	}
	return out
}

func statusOf(s *snapshot.Snapshot, step string) string {
	if st := s.Step(step); st != nil && st.Error != "" {
		return "failed: " + st.Error
	}
	if s.Failure != nil {
		return "failed: " + s.Failure.Message
	}
	return "failed"
}
