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
func Classify(app string, base, cand *Outcome, notes Notes) (string, []Classified) {
	if base.flaked() || cand.flaked() {
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
		return VerdictAppBroken, nil
	}
	diffs := classify(app, snapshot.Diff(base.Snapshot, cand.Snapshot), notes)
	for _, d := range diffs {
		if d.Classification == ClassRegression {
			return VerdictRegression, diffs
		}
	}
	if candFailed {
		// Every difference was expected, and the candidate still failed:
		// a failing run never passes.
		return VerdictRegression, diffs
	}
	return VerdictPass, diffs
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
