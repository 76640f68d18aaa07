package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/report"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/vuln"
)

const image = "127.0.0.1:5000/services/go-api@sha256:9a67e4e8420030e66bcc29e4ae0a3630f8c1bba4c0f23ecdf63b2c4dea34f15f"

func boolp(b bool) *bool { return &b }

// writeRun writes a run record and a scan report as paved run writes them.
func writeRun(t *testing.T, gate bool) string {
	t.Helper()
	dir := t.TempDir()
	rec := &record.Run{
		SchemaVersion: record.Schema, Pipeline: template.PipelineName, PavedVersion: "v0.2.0",
		Service: "go-api", Env: "dev", RunID: "42-1", TraceID: "40e28d7b35def8eb3dbc00c1ebc4ae9b", Status: record.StatusOK, Image: image,
		Steps: []record.Step{
			{Name: template.StepBuild, Status: record.StatusOK, DurationSeconds: 1.16, Outputs: record.Outputs{Digest: "sha256:9a67"}},
			{Name: template.StepScan, Status: record.StatusOK, DurationSeconds: 0.01, Outputs: record.Outputs{Findings: map[string]int{"HIGH": 1}}},
			{Name: template.StepGate, Status: record.StatusOK, Outputs: record.Outputs{GatePassed: boolp(gate)}},
			{Name: template.StepDeploy, Status: record.StatusOK, Outputs: record.Outputs{GitOpsCommit: "5dce9bfc3b4cb20496eebb39fa8cbc410846d6e0"}},
		},
	}
	sr := &vuln.Report{
		SchemaVersion: "paved.dev/scan-report/v1",
		Findings: []vuln.Finding{
			{ID: "CVE-2022-32149", Package: "golang.org/x/text", Installed: "v0.3.7", Fixed: "0.3.8", Severity: vuln.High, Title: "denial of service, via Accept-Language", URL: "https://avd.aquasec.com/nvd/cve-2022-32149"},
			{ID: "CVE-2024-0001", Package: "zlib1g", Installed: "1.2.13", Severity: vuln.Low},
		},
		Counts: vuln.Counts{vuln.High: 1, vuln.Low: 1},
		Gate:   vuln.Gate{Passed: gate, Severities: []vuln.Severity{vuln.Critical, vuln.High}},
	}
	if !gate {
		sr.Gate.Failing = []string{"CVE-2022-32149"}
		rec.Status = record.StatusFailed
		rec.Failure = &record.Failure{Step: template.StepGate, Kind: failure.Policy.String(), ExitCode: 3, Message: "1 finding at CRITICAL,HIGH"}
		rec.Steps = rec.Steps[:3]
		rec.Steps[2].Status = record.StatusFailed
	}
	for name, v := range map[string]any{record.File: rec, template.ScanReportFile: sr} {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, template.ScanSARIFFile), []byte("{}"), 0o644))
	return dir
}

func TestPassedRun(t *testing.T) {
	dir := writeRun(t, true)
	r, err := report.Load(dir)
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"status": "ok", "image": image, "digest": "sha256:9a67e4e8420030e66bcc29e4ae0a3630f8c1bba4c0f23ecdf63b2c4dea34f15f",
		"gitops-commit": "5dce9bfc3b4cb20496eebb39fa8cbc410846d6e0", "run-record": filepath.Join(dir, record.File),
		"sarif": filepath.Join(dir, template.ScanSARIFFile),
	}, r.Outputs())

	var md bytes.Buffer
	require.NoError(t, r.Markdown(&md))
	for _, want := range []string{
		"### ✅ paved build-scan-deploy: go-api → dev",
		"| build | ✅ ok | 1.2 | sha256:9a67 |",
		"**Image:** `" + image + "`",
		"**GitOps commit:** `5dce9bfc3b4cb20496eebb39fa8cbc410846d6e0` (dev)",
		"**Findings:** CRITICAL 0, HIGH 1, MEDIUM 0, LOW 1, UNKNOWN 0 — gate passed (fails on CRITICAL,HIGH)",
		"paved v0.2.0 · run `42-1` · trace `40e28d7b35def8eb3dbc00c1ebc4ae9b`",
	} {
		require.Contains(t, md.String(), want)
	}
	var ann bytes.Buffer
	require.NoError(t, r.Annotations(&ann))
	require.Empty(t, ann.String(), "a passed run annotates nothing")

	var env bytes.Buffer
	require.NoError(t, r.Dotenv(&env))
	require.Contains(t, env.String(), "PAVED_DIGEST=sha256:9a67e4e8420030e66bcc29e4ae0a3630f8c1bba4c0f23ecdf63b2c4dea34f15f\n")
	require.Contains(t, env.String(), "PAVED_IMAGE="+image+"\n")
	require.Contains(t, env.String(), "PAVED_GITOPS_COMMIT=5dce9bfc3b4cb20496eebb39fa8cbc410846d6e0\n")
	require.Contains(t, env.String(), "PAVED_STATUS=ok\n")
}

func TestFailedGate(t *testing.T) {
	r, err := report.Load(writeRun(t, false))
	require.NoError(t, err)
	var md bytes.Buffer
	require.NoError(t, r.Markdown(&md))
	for _, want := range []string{
		"### ❌ paved build-scan-deploy: go-api → dev",
		"**Failed at gate** (exit 3, policy violation): 1 finding at CRITICAL,HIGH",
		"— **gate failed** (fails on CRITICAL,HIGH)",
		"| HIGH | [CVE-2022-32149](https://avd.aquasec.com/nvd/cve-2022-32149) | golang.org/x/text | v0.3.7 | 0.3.8 |",
	} {
		require.Contains(t, md.String(), want)
	}
	require.NotContains(t, md.String(), "CVE-2024-0001 |", "only failing findings are listed")
	require.NotContains(t, md.String(), "GitOps commit", "nothing was deployed")

	var ann bytes.Buffer
	require.NoError(t, r.Annotations(&ann))
	require.Equal(t, "::error title=paved gate%3A CVE-2022-32149::HIGH CVE-2022-32149 in golang.org/x/text v0.3.7 (fixed in 0.3.8): denial of service, via Accept-Language\n", ann.String())
}

func TestFailedStepAnnotation(t *testing.T) {
	dir := writeRun(t, true)
	data, err := os.ReadFile(filepath.Join(dir, record.File))
	require.NoError(t, err)
	var rec record.Run
	require.NoError(t, json.Unmarshal(data, &rec))
	rec.Status, rec.Failure = record.StatusFailed, &record.Failure{Step: template.StepDeploy, ExitCode: 4, Message: "pushing to \"https://git.example.com/gitops.git\": timeout\nretry"}
	require.NoError(t, rec.Write(filepath.Join(dir, record.File)))
	r, err := report.Load(dir)
	require.NoError(t, err)
	var ann bytes.Buffer
	require.NoError(t, r.Annotations(&ann))
	require.Equal(t, "::error title=paved deploy failed (exit 4)::pushing to \"https://git.example.com/gitops.git\": timeout%0Aretry\n", ann.String())
}

func TestLoadRefusesAMissingRecord(t *testing.T) {
	_, err := report.Load(t.TempDir())
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorContains(t, err, "the run wrote no report there")

	// A run that stopped before the scan has no scan report: still a run.
	dir := writeRun(t, true)
	require.NoError(t, os.Remove(filepath.Join(dir, template.ScanReportFile)))
	r, err := report.Load(dir)
	require.NoError(t, err)
	require.Nil(t, r.Scan)
	var md bytes.Buffer
	require.NoError(t, r.Markdown(&md))
	require.NotContains(t, md.String(), "Findings")
	require.True(t, strings.HasPrefix(md.String(), "### ✅"))
}
