package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// Markdown writes the run as a job summary: the verdict, each step's status
// and time, the image by digest, the findings with the failing ones and
// their fixed versions, the GitOps commit, and paved's version and trace.
func (r *Run) Markdown(w io.Writer) error {
	rec := r.Record
	b := &strings.Builder{}
	icon := map[string]string{record.StatusOK: "✅", record.StatusFailed: "❌", record.StatusSkipped: "⏭️"}
	fmt.Fprintf(b, "### %s paved build-scan-deploy: %s → %s\n\n", icon[rec.Status], rec.Service, orDash(rec.Env))
	if f := rec.Failure; f != nil {
		fmt.Fprintf(b, "**Failed at %s** (exit %d, %s): %s\n\n", f.Step, f.ExitCode, f.Kind, cell(f.Message))
	}
	b.WriteString("| step | status | seconds | result |\n| --- | --- | ---: | --- |\n")
	for _, s := range rec.Steps {
		fmt.Fprintf(b, "| %s | %s %s | %.1f | %s |\n", s.Name, icon[s.Status], s.Status, s.DurationSeconds, cell(stepResult(s)))
	}
	b.WriteString("\n")
	if rec.Image != "" {
		fmt.Fprintf(b, "**Image:** `%s`\n\n", rec.Image)
	}
	if c := r.GitOpsCommit(); c != "" {
		fmt.Fprintf(b, "**GitOps commit:** `%s` (%s)\n\n", c, orDash(rec.Env))
	}
	r.findings(b)
	fmt.Fprintf(b, "paved %s · run `%s` · trace `%s`\n", rec.PavedVersion, rec.RunID, rec.TraceID)
	_, err := io.WriteString(w, b.String())
	return err
}

// findings writes the counts and the table of failing findings.
func (r *Run) findings(b *strings.Builder) {
	if r.Scan == nil {
		return
	}
	fmt.Fprintf(b, "**Findings:** %s", counts(r.Scan.Counts))
	if r.Scan.Gate.Passed {
		fmt.Fprintf(b, " — gate passed (%s)\n\n", severities(r.Scan.Gate.Severities))
		return
	}
	fmt.Fprintf(b, " — **gate failed** (%s)\n\n", severities(r.Scan.Gate.Severities))
	b.WriteString("| severity | id | package | installed | fixed in |\n| --- | --- | --- | --- | --- |\n")
	for _, f := range r.failing() {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", f.Severity, link(f), cell(f.Package), cell(f.Installed), orDash(cell(f.Fixed)))
	}
	b.WriteString("\n")
}

// Annotations writes GitHub workflow commands: an ::error for each finding
// that failed the gate (with its fixed version), and one for a step that
// failed otherwise.
func (r *Run) Annotations(w io.Writer) error {
	var lines []string
	for _, f := range r.failing() {
		fix := "no fixed version yet"
		if f.Fixed != "" {
			fix = "fixed in " + f.Fixed
		}
		lines = append(lines, fmt.Sprintf("::error title=%s::%s %s in %s %s (%s): %s",
			escapeProperty("paved gate: "+f.ID), f.Severity, f.ID, f.Package, f.Installed, fix, escapeData(f.Title)))
	}
	if f := r.Record.Failure; f != nil && (f.Step != template.StepGate || len(lines) == 0) {
		lines = append(lines, fmt.Sprintf("::error title=%s::%s", escapeProperty("paved "+f.Step+" failed (exit "+fmt.Sprint(f.ExitCode)+")"), escapeData(f.Message)))
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

func stepResult(s record.Step) string {
	o := s.Outputs
	switch {
	case s.Error != "":
		return s.Error
	case s.Reason != "":
		return s.Reason
	case o.Reference != "":
		return o.Reference
	case o.Digest != "":
		return o.Digest
	case o.Findings != nil:
		return fmt.Sprintf("C:%d H:%d M:%d L:%d", o.Findings["CRITICAL"], o.Findings["HIGH"], o.Findings["MEDIUM"], o.Findings["LOW"])
	case o.GitOpsCommit != "":
		return o.GitOpsCommit
	case o.Signature != "":
		return o.Signature
	}
	return ""
}

func counts(c vuln.Counts) string {
	var parts []string
	for _, s := range vuln.AllSeverities {
		parts = append(parts, fmt.Sprintf("%s %d", s, c[s]))
	}
	return strings.Join(parts, ", ")
}

func severities(ss []vuln.Severity) string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	sort.Strings(out)
	return "fails on " + strings.Join(out, ",")
}

func link(f vuln.Finding) string {
	if f.URL == "" {
		return f.ID
	}
	return "[" + f.ID + "](" + f.URL + ")"
}

// cell makes s safe in one markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "\r", "").Replace(s)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// escapeData and escapeProperty escape workflow command values the way
// GitHub's toolkit (@actions/core) does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
