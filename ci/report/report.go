// Package report turns a finished paved run, the run record and scan report
// in its report directory, into what each CI shows: for GitHub a job
// summary (markdown), ::error annotations and step outputs; for GitLab a
// dotenv report and the same summary in the job log (its container-scanning
// report is scan.WriteGitLab). The wrappers call it through paved ci.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// Run is a finished run, read back from its report directory.
type Run struct {
	// Dir is the report directory.
	Dir string
	// Record is the run record; Scan the scan report, nil when the scan
	// did not run.
	Record *record.Run
	Scan   *vuln.Report
}

// Load reads the run record (and the scan report, when there is one) from
// the report directory of paved run build-scan-deploy.
func Load(dir string) (*Run, error) {
	r := &Run{Dir: dir, Record: &record.Run{}}
	if err := readJSON(filepath.Join(dir, record.File), r.Record); err != nil {
		return nil, err
	}
	var s vuln.Report
	switch err := readJSON(filepath.Join(dir, template.ScanReportFile), &s); {
	case err == nil:
		r.Scan = &s
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	return r, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return failure.BadInputErr(fmt.Errorf("reading %q: %w: the run wrote no report there (is it paved run build-scan-deploy's --report-dir?)", path, err))
	}
	if err != nil {
		return fmt.Errorf("reading %q: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return failure.BadInputErr(fmt.Errorf("reading %q: %w", path, err))
	}
	return nil
}

// Digest is the pushed image's digest, "" before the push.
func (r *Run) Digest() string {
	_, d, _ := strings.Cut(r.Record.Image, "@")
	return d
}

// GitOpsCommit is the deploy step's commit, "" when it made none.
func (r *Run) GitOpsCommit() string {
	if s := r.Record.Step(template.StepDeploy); s != nil {
		return s.Outputs.GitOpsCommit
	}
	return ""
}

// Outputs are a run's results by name (GitHub step outputs, GitLab dotenv
// variables without their prefix): status, image, digest, gitops-commit,
// run-record and, when the scan wrote them, sarif and sbom.
func (r *Run) Outputs() map[string]string {
	out := map[string]string{
		"status": r.Record.Status, "image": r.Record.Image, "digest": r.Digest(),
		"gitops-commit": r.GitOpsCommit(), "run-record": filepath.Join(r.Dir, record.File),
	}
	for name, file := range map[string]string{"sarif": template.ScanSARIFFile, "sbom": template.SBOMFile} {
		if _, err := os.Stat(filepath.Join(r.Dir, file)); err == nil {
			out[name] = filepath.Join(r.Dir, file)
		}
	}
	return out
}

// failing returns the scan's findings that failed the gate, in the
// report's order (highest severity first).
func (r *Run) failing() []vuln.Finding {
	if r.Scan == nil || r.Scan.Gate.Passed {
		return nil
	}
	ids := map[string]bool{}
	for _, id := range r.Scan.Gate.Failing {
		ids[id] = true
	}
	var out []vuln.Finding
	for _, f := range r.Scan.Findings {
		if ids[f.ID] {
			out = append(out, f)
		}
	}
	return out
}

// Files paved ci writes into the report directory.
const (
	// SummaryFile is the run's summary in markdown (Markdown).
	SummaryFile = "summary.md"
	// DotenvFile is the GitLab dotenv report (Dotenv).
	DotenvFile = "paved.env"
	// GitLabScanFile is the GitLab container-scanning report.
	GitLabScanFile = "gl-container-scanning-report.json"
)
