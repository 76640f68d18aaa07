package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/vuln"
)

func runScanCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestScanCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	code, out, stderr := runScanCLI(t, "db", "build-fixture", "--out", db)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "Built fixture vulnerability database")

	repo := filepath.Join(dir, "repo")
	require.NoError(t, os.MkdirAll(repo, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n\nrequire golang.org/x/text v0.3.7\n"), 0o644))
	expires := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	require.NoError(t, os.WriteFile(filepath.Join(repo, ".paved-ignore.yaml"), []byte("ignores:\n  - id: CVE-2023-45853\n    package: zlib1g\n    reason: minizip is not built in Debian's zlib1g\n    expires: "+expires+"\n"), 0o644))

	vulnerable := testimage.WriteLayout(t, testimage.New(t, testimage.Options{XTextVersion: "v0.3.7", Python: []testimage.Package{}, NPM: []testimage.Package{}}))
	fixed := testimage.WriteLayout(t, testimage.New(t, testimage.Options{XTextVersion: "v0.3.8", Python: []testimage.Package{}, NPM: []testimage.Package{}}))
	report, sarif := filepath.Join(dir, "scan.json"), filepath.Join(dir, "scan.sarif")

	code, out, stderr = runScanCLI(t, "scan", vulnerable, "--db-dir", db, "--repo-root", repo, "--report", report, "--sarif", sarif)
	require.Equal(t, 3, code, stderr)
	require.Contains(t, out, "CVE-2022-32149")
	require.Contains(t, stderr, "golang.org/x/text v0.3.7 installed, fixed in 0.3.8")
	var r vuln.Report
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &r))
	require.Equal(t, []string{"CVE-2022-32149"}, r.Gate.Failing)
	sarifData, err := os.ReadFile(sarif)
	require.NoError(t, err)
	require.Contains(t, string(sarifData), `"uri": "go.mod"`)

	code, out, stderr = runScanCLI(t, "scan", fixed, "--db-dir", db, "--repo-root", repo, "--output", "json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.True(t, r.Gate.Passed)
	require.Len(t, r.Ignored, 1)
}

func TestScanCLIBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	code, _, stderr := runScanCLI(t, "db", "build-fixture", "--db-dir", db)
	require.Equal(t, 0, code, stderr)
	badIgnore := filepath.Join(dir, "ignore.yaml")
	require.NoError(t, os.WriteFile(badIgnore, []byte("ignores:\n  - id: CVE-1\n    expires: 2027-01-01\n"), 0o644))
	layout := testimage.WriteLayout(t, testimage.New(t, testimage.Options{NoGoBinary: true}))
	report := filepath.Join(dir, "scan.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no image", []string{"scan", "--db-dir", db}, "give an IMAGE or --sbom FILE"},
		{"bad severity", []string{"scan", layout, "--db-dir", db, "--severity", "SEVERE"}, "invalid --severity"},
		{"malformed ignore file", []string{"scan", layout, "--db-dir", db, "--ignore-file", badIgnore, "--report", report}, "entry 1 (CVE-1): reason is required"},
		{"no database", []string{"scan", layout, "--db-dir", filepath.Join(dir, "none"), "--report", report}, "paved db update"},
		{"import garbage", []string{"db", "import", badIgnore, "--db-dir", filepath.Join(dir, "db2")}, "no metadata.json beside it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runScanCLI(t, tt.args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, tt.want)
			_, err := os.Stat(report)
			require.True(t, os.IsNotExist(err), "nothing written on bad input")
		})
	}
}
