package sign_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vuln"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestScanOfIsScanFromReport: the pipeline attests its typed report with
// the predicate paved attest makes of the same report's JSON, apart from the
// start time, which a report file does not carry into the attestation.
func TestScanOfIsScanFromReport(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := &vuln.Report{SchemaVersion: vuln.SchemaVersion,
		Artifact:  vuln.Artifact{Name: "registry.example/app@sha256:" + hex64, Digest: "sha256:" + hex64, Kind: "sbom"},
		Scanner:   vuln.ScannerInfo{Name: "trivy", Version: "0.69.3"},
		DB:        vuln.DBInfo{SchemaVersion: 2, UpdatedAt: at.Add(-time.Hour)},
		StartedAt: at.Add(-time.Minute), FinishedAt: at,
		Findings: []vuln.Finding{{ID: "CVE-2026-1", Package: "zlib", Installed: "1.2", Severity: vuln.High}},
		Counts:   vuln.Counts{vuln.High: 1}, Gate: vuln.Gate{Passed: false, Severities: vuln.DefaultSeverities, Failing: []string{"CVE-2026-1"}}}
	typed, err := sign.ScanOf(r)
	require.NoError(t, err)
	require.Equal(t, at.Add(-time.Minute), typed.StartedOn)
	data, err := json.Marshal(r)
	require.NoError(t, err)
	parsed, err := sign.ScanFromReport(data, time.Time{})
	require.NoError(t, err)
	require.True(t, parsed.StartedOn.IsZero())
	parsed.StartedOn = typed.StartedOn
	require.Equal(t, parsed, typed)
	want, err := sign.VulnPredicate(parsed)
	require.NoError(t, err)
	got, err := sign.VulnPredicate(typed)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}
