package candidate

import (
	"fmt"
	"io"
	"strings"

	"github.com/paved-dev/paved/release/snapshot"
)

// WriteMarkdown writes the report for people: the verdict, one table row
// per app, then each app's steps and differences.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# paved release candidate %s: %s\n\n", r.Version, strings.ToUpper(r.Verdict))
	dirty := ""
	if r.Dirty {
		dirty = " (dirty work tree)"
	}
	fmt.Fprintf(&b, "- candidate: %s built from %s%s\n", r.Version, short(r.Commit), dirty)
	if r.Baseline != nil {
		fmt.Fprintf(&b, "- baseline: %s (%s)\n", r.Baseline.Version, short(r.Baseline.Commit))
	} else {
		fmt.Fprintf(&b, "- baseline: none — %s\n", r.BaselineNote)
	}
	if r.Partial {
		fmt.Fprintf(&b, "- apps: %d of %s (**partial**: paved release publish refuses this report)\n", len(r.Apps), strings.Join(r.AllApps, ", "))
	}
	fmt.Fprintf(&b, "- change notes: %d expected difference(s) named\n", len(r.Notes))
	for _, n := range r.UnmatchedNotes {
		fmt.Fprintf(&b, "- change note matched no difference: `%s` (%s)\n", n.Key, n.Entry)
	}
	fmt.Fprintf(&b, "- duration: %.0f s\n\n", r.DurationSeconds)
	b.WriteString("| app | commit | verdict | blocks | candidate | baseline | differences |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, a := range r.Apps {
		base := "—"
		if a.Baseline != nil {
			base = runCell(*a.Baseline)
		}
		blocks := "no"
		if a.Blocking {
			blocks = "**yes**"
		} else if a.Quarantine != nil {
			blocks = "no (quarantined)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", a.Name, short(a.Commit), a.Verdict, blocks,
			runCell(a.Candidate), base, diffCount(a.Differences))
	}
	for _, a := range r.Apps {
		writeApp(&b, a)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeApp(b *strings.Builder, a AppResult) {
	fmt.Fprintf(b, "\n## %s: %s\n\n", a.Name, a.Verdict)
	if q := a.Quarantine; q != nil {
		fmt.Fprintf(b, "Quarantined until %s: %s\n\n", q.Until, q.Reason)
	}
	b.WriteString("| step | candidate | baseline |\n|---|---|---|\n")
	for _, name := range stepNames(a) {
		base := "—"
		if a.Baseline != nil {
			base = stepCell(a.Baseline.Steps, name)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, stepCell(a.Candidate.Steps, name), base)
	}
	if f := a.Candidate.Failure; f != nil {
		fmt.Fprintf(b, "\nCandidate failed at %s (exit %d): %s\n", f.Step, f.ExitCode, f.Message)
	}
	if len(a.Differences) == 0 {
		return
	}
	b.WriteString("\n| difference | classification | baseline | candidate |\n|---|---|---|---|\n")
	for _, d := range a.Differences {
		class := d.Classification
		if d.Note != "" {
			class += " — " + d.Note
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", d.Key(a.Name), cell(class), cell(d.Baseline), cell(d.Candidate))
	}
}

func stepNames(a AppResult) []string {
	var names []string
	steps := a.Candidate.Steps
	if a.Baseline != nil {
		steps = append(append([]snapshot.Step{}, a.Baseline.Steps...), steps...)
	}
	for _, s := range steps {
		if !contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names
}

func stepCell(steps []snapshot.Step, name string) string {
	for _, s := range steps {
		if s.Name == name {
			if s.Status == snapshot.StatusOK {
				return fmt.Sprintf("ok %.2f s", s.DurationSeconds)
			}
			return s.Status
		}
	}
	return "—"
}

func runCell(s RunSummary) string {
	out := fmt.Sprintf("%s %.0f s", s.Status, s.DurationSeconds)
	if s.Attempts > 1 {
		out += fmt.Sprintf(", %d attempts", s.Attempts)
	}
	return out
}

func diffCount(ds []Classified) string {
	exp, reg := 0, 0
	for _, d := range ds {
		if d.Classification == ClassExpected {
			exp++
		} else {
			reg++
		}
	}
	return fmt.Sprintf("%d regression, %d expected", reg, exp)
}

// cell keeps a value on one table row: no newlines or pipes, at most 300
// characters (the JSON report has all of it).
func cell(s string) string {
	s = strings.NewReplacer("\n", " ", "|", `\|`).Replace(s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "—"
	}
	return s
}

func short(commit string) string { return commit[:min(12, len(commit))] }

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
