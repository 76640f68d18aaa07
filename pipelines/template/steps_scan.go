package template

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/vuln"
)

func (r *run) scan(ctx context.Context) (record.Outputs, error) {
	gate, err := r.gatePolicy()
	if err != nil {
		return record.Outputs{}, err
	}
	rep, err := scan.SBOM(ctx, r.bomFile,
		scan.WithDBDir(r.o.dbDir), scan.WithDBMaxAge(r.o.dbMaxAge), scan.WithPolicy(gate), scan.WithClock(r.o.now),
		scan.WithArtifact(vuln.Artifact{Name: r.digest.String(), Digest: r.digest.DigestStr()}))
	// The scan evaluates the gate, once per run, on the report it returns;
	// the gate step reports that verdict. A scan that found what fails the
	// gate still succeeded.
	if err != nil && !(rep != nil && failure.KindOf(err) == failure.Policy) {
		return record.Outputs{}, err
	}
	r.report, r.gateErr = rep, err
	files, err := r.writeScanReports()
	if err != nil {
		return record.Outputs{}, err
	}
	out := record.Outputs{Findings: map[string]int{}, Files: files}
	for sev, n := range rep.Counts {
		out.Findings[string(sev)] = n
	}
	return out, nil
}

// gate reports the verdict the scan step's evaluation put in the report,
// and fails with its policy error.
func (r *run) gate(_ context.Context) (record.Outputs, error) {
	passed := r.report.Gate.Passed
	return record.Outputs{GatePassed: &passed, Failing: r.report.Gate.Failing}, r.gateErr
}

// gatePolicy is paved.yaml's scan section as the scanner's gate.
func (r *run) gatePolicy() (vuln.Policy, error) {
	p := vuln.Policy{IgnoreUnfixed: r.cfg.Scan.IgnoreUnfixed, Ignores: r.ignores}
	if len(r.cfg.Scan.Severity) > 0 {
		sevs, err := vuln.ParseSeverities(strings.Join(r.cfg.Scan.Severity, ","))
		if err != nil {
			return p, failure.BadInputErr(err)
		}
		p.Severities = sevs
	}
	return p, nil
}

// writeScanReports writes the scan report as JSON (kept for the vuln
// attestation) and SARIF.
func (r *run) writeScanReports() ([]string, error) {
	js, err := json.MarshalIndent(r.report, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding scan report: %w", err)
	}
	var sarif bytes.Buffer
	if err := scan.WriteSARIF(&sarif, r.report, scan.SARIFOptions{
		Sources: map[string]string{"gobinary": "go.mod", "gomod": "go.mod"}, Root: r.cfg.BuildDir(),
	}); err != nil {
		return nil, fmt.Errorf("encoding SARIF report: %w", err)
	}
	jsonFile, sarifFile := filepath.Join(r.reportDir, ScanReportFile), filepath.Join(r.reportDir, ScanSARIFFile)
	if err := writeReport(jsonFile, append(js, '\n')); err != nil {
		return nil, err
	}
	if err := writeReport(sarifFile, sarif.Bytes()); err != nil {
		return nil, err
	}
	return r.files(jsonFile, sarifFile), nil
}
