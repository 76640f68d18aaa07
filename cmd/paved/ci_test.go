package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// ciRun writes a run record and scan report as paved run does.
func ciRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rec := record.Run{SchemaVersion: record.Schema, Service: "api", Env: "dev", Status: record.StatusOK,
		Image: "reg/services/api@sha256:ab", PavedVersion: "v1.0.0"}
	sr := vuln.Report{Findings: []vuln.Finding{{ID: "CVE-1", Package: "p", Installed: "1", Severity: vuln.Low}}, Gate: vuln.Gate{Passed: true}}
	for name, v := range map[string]any{record.File: rec, template.ScanReportFile: sr} {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	return dir
}

func TestCIGitHub(t *testing.T) {
	dir := ciRun(t)
	files := t.TempDir()
	summary, output := filepath.Join(files, "summary"), filepath.Join(files, "output")
	require.NoError(t, os.WriteFile(output, []byte("earlier=1\n"), 0o644))
	t.Setenv(envGitHubStepSummary, summary)
	t.Setenv(envGitHubOutput, output)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(t.Context(), []string{"ci", "github", "--report-dir", dir}, &stdout, &stderr), stderr.String())

	md, err := os.ReadFile(summary)
	require.NoError(t, err)
	require.Contains(t, string(md), "### ✅ paved build-scan-deploy: api → dev")
	kept, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	require.NoError(t, err)
	require.Equal(t, string(md), string(kept), "the summary is kept in the report directory (the artifact)")
	out, err := os.ReadFile(output)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(out), "earlier=1\n"), "outputs are appended")
	require.Contains(t, string(out), "digest=sha256:ab\n")
	require.Contains(t, string(out), "image=reg/services/api@sha256:ab\n")
	require.Empty(t, stdout.String(), "no annotation for a passed run")
}

func TestCIGitLab(t *testing.T) {
	dir := ciRun(t)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(t.Context(), []string{"ci", "gitlab", "--report-dir", dir}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "paved build-scan-deploy: api → dev")
	env, err := os.ReadFile(filepath.Join(dir, "paved.env"))
	require.NoError(t, err)
	require.Contains(t, string(env), "PAVED_DIGEST=sha256:ab\n")
	var cs struct {
		Version         string           `json:"version"`
		Vulnerabilities []map[string]any `json:"vulnerabilities"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "gl-container-scanning-report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cs))
	require.Equal(t, scan.GitLabSchemaVersion, cs.Version)
	require.Len(t, cs.Vulnerabilities, 1)
}

func TestCIRefusesADirectoryWithoutARun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, run(t.Context(), []string{"ci", "github", "--report-dir", t.TempDir()}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "the run wrote no report there")
	require.Equal(t, 2, run(t.Context(), []string{"ci", "gitlab"}, &stdout, &stderr), "--report-dir is required")
}
