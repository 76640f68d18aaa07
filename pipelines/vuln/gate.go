package vuln

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
)

// DefaultSeverities are the severities that fail the gate by default.
var DefaultSeverities = []Severity{Critical, High}

// Policy is what the gate enforces.
type Policy struct {
	// Severities fail the gate; empty means DefaultSeverities.
	Severities []Severity
	// IgnoreUnfixed lets findings without a fixed version pass.
	IgnoreUnfixed bool
	// Ignores suppresses findings until each entry expires; nil: none.
	Ignores *IgnoreFile
}

// Evaluate applies p to r at now: it moves findings suppressed by an
// unexpired ignore entry to r.Ignored, lists expired entries in
// r.ExpiredIgnores, recounts r.Counts and sets r.Gate. It returns a policy
// error listing the failing findings when the gate fails. Evaluate may be
// called again on the same report with another policy.
func Evaluate(r *Report, p Policy, now time.Time) error {
	if len(p.Severities) == 0 {
		p.Severities = DefaultSeverities
	}
	all := append(slices.Clone(r.Findings), ignoredFindings(r.Ignored)...)
	SortFindings(all)
	r.Findings, r.Ignored, r.ExpiredIgnores = []Finding{}, []Ignored{}, []IgnoreEntry{}
	if p.Ignores != nil {
		for _, e := range p.Ignores.Ignores {
			if !now.Before(e.expiry) {
				r.ExpiredIgnores = append(r.ExpiredIgnores, e)
			}
		}
	}
	var failing []Finding
	for _, f := range all {
		if e, ok := activeIgnore(p.Ignores, f, now); ok {
			r.Ignored = append(r.Ignored, Ignored{Finding: f, Entry: e})
			continue
		}
		r.Findings = append(r.Findings, f)
		if slices.Contains(p.Severities, f.Severity) && (!p.IgnoreUnfixed || f.Fixed != "") {
			failing = append(failing, f)
		}
	}
	r.Counts = countFindings(r.Findings)
	r.Gate = Gate{Passed: len(failing) == 0, Severities: slices.Clone(p.Severities), IgnoreUnfixed: p.IgnoreUnfixed, Failing: failingIDs(failing)}
	if r.Gate.Passed {
		return nil
	}
	return failure.PolicyErr(gateError(failing, p))
}

func ignoredFindings(ig []Ignored) []Finding {
	out := make([]Finding, 0, len(ig))
	for _, i := range ig {
		out = append(out, i.Finding)
	}
	return out
}

func activeIgnore(f *IgnoreFile, fd Finding, now time.Time) (IgnoreEntry, bool) {
	if f == nil {
		return IgnoreEntry{}, false
	}
	for _, e := range f.Ignores {
		if e.matches(fd) && now.Before(e.expiry) {
			return e, true
		}
	}
	return IgnoreEntry{}, false
}

func countFindings(fs []Finding) Counts {
	c := Counts{}
	for _, s := range AllSeverities {
		c[s] = 0
	}
	for _, f := range fs {
		c[f.Severity]++
	}
	return c
}

func failingIDs(fs []Finding) []string {
	ids := []string{}
	for _, f := range fs {
		if !slices.Contains(ids, f.ID) {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// gateError says what failed, with installed and fixed versions, and what
// makes the gate pass.
func gateError(failing []Finding, p Policy) error {
	var b strings.Builder
	fmt.Fprintf(&b, "vulnerability gate failed: %d finding(s) at %s:", len(failing), strings.Join(Strings(p.Severities), ","))
	for _, f := range failing {
		fixed := f.Fixed
		if fixed == "" {
			fixed = "no fix (" + f.Status + ")"
		}
		fmt.Fprintf(&b, " %s %s %s %s installed, fixed in %s;", f.ID, f.Severity, f.Package, f.Installed, fixed)
	}
	b.WriteString(" upgrade these packages, or add a dated entry with a reason to " + DefaultIgnoreFile)
	return fmt.Errorf("%s", b.String())
}
