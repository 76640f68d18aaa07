package scan

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/paved-dev/paved/pipelines/vuln"
)

// WriteTable writes r for people: one line per finding (failing ones
// marked), the counts, ignored findings, expired ignore entries and the
// gate's verdict.
func WriteTable(w io.Writer, r *vuln.Report) error {
	fmt.Fprintf(w, "%s (%s", r.Artifact.Name, r.Artifact.Kind)
	if r.Artifact.OS != "" {
		fmt.Fprintf(w, ", %s", r.Artifact.OS)
	}
	fmt.Fprintf(w, ") scanned with %s %s, DB updated %s\n\n", r.Scanner.Name, r.Scanner.Version, r.DB.UpdatedAt.Format("2006-01-02 15:04 MST"))
	failing := map[string]bool{}
	for _, id := range r.Gate.Failing {
		failing[id] = true
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tSEVERITY\tID\tPACKAGE\tINSTALLED\tFIXED\tTARGET\tTITLE")
	for _, f := range r.Findings {
		mark := ""
		if failing[f.ID] && gateCounts(r.Gate, f) {
			mark = "✗"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, f.Severity, f.ID, f.Package, f.Installed, fixedText(f), f.Target, truncate(f.Title, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var counts []string
	for _, s := range vuln.AllSeverities {
		counts = append(counts, fmt.Sprintf("%s %d", s, r.Counts[s]))
	}
	fmt.Fprintf(w, "\nTotal: %d (%s)\n", len(r.Findings), strings.Join(counts, ", "))
	for _, ig := range r.Ignored {
		fmt.Fprintf(w, "Ignored: %s %s until %s: %s\n", ig.Finding.ID, ig.Finding.Package, ig.Entry.Expires, ig.Entry.Reason)
	}
	for _, e := range r.ExpiredIgnores {
		fmt.Fprintf(w, "Expired ignore: %s expired %s and no longer suppresses: review it (%s)\n", e.ID, e.Expires, e.Reason)
	}
	verdict := "PASSED"
	if !r.Gate.Passed {
		verdict = fmt.Sprintf("FAILED (%s)", strings.Join(r.Gate.Failing, ", "))
	}
	sevs := make([]string, len(r.Gate.Severities))
	for i, s := range r.Gate.Severities {
		sevs[i] = string(s)
	}
	unfixed := ""
	if r.Gate.IgnoreUnfixed {
		unfixed = ", unfixed ignored"
	}
	_, err := fmt.Fprintf(w, "Gate [%s%s]: %s\n", strings.Join(sevs, ","), unfixed, verdict)
	return err
}

// gateCounts reports whether f is one the gate counts (its severity is
// gated and, with IgnoreUnfixed, it has a fix).
func gateCounts(g vuln.Gate, f vuln.Finding) bool {
	for _, s := range g.Severities {
		if s == f.Severity {
			return !g.IgnoreUnfixed || f.Fixed != ""
		}
	}
	return false
}

func fixedText(f vuln.Finding) string {
	if f.Fixed != "" {
		return f.Fixed
	}
	return "(" + f.Status + ")"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
