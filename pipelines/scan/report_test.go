package scan_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/vuln"
)

var update = flag.Bool("update", false, "rewrite golden files")

func compileSchema(t *testing.T, url string, doc []byte) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(url, v))
	s, err := c.Compile(url)
	require.NoError(t, err)
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	require.NoError(t, s.Validate(v))
}

func TestReportJSONMatchesSchema(t *testing.T) {
	s := compileSchema(t, "report.schema.json", vuln.ReportSchema)
	r := sampleReport()
	_ = vuln.Evaluate(r, vuln.Policy{Ignores: ignoreFile(t, "ignores:\n  - id: CVE-2023-45853\n    reason: minizip not built\n    expires: 2020-01-01\n")}, now)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(r))
	validate(t, s, b.Bytes())
	require.Contains(t, b.String(), `"schemaVersion": "paved.dev/scan-report/v1"`)
	require.Contains(t, b.String(), `"failing": [`)
	golden(t, "report.golden.json", b.Bytes())

	// The schema is not a rubber stamp.
	bad := strings.Replace(b.String(), `"passed": false`, `"passed": "no"`, 1)
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	require.NoError(t, err)
	require.Error(t, s.Validate(v))
}

func TestSARIFMatchesSchema(t *testing.T) {
	schemaDoc, err := os.ReadFile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	require.NoError(t, err)
	s := compileSchema(t, "sarif-schema-2.1.0.json", schemaDoc)

	repo := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module example.com/api\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.7\n"), 0o644))
	r := sampleReport()
	_ = vuln.Evaluate(r, vuln.Policy{}, now)
	var b bytes.Buffer
	require.NoError(t, scan.WriteSARIF(&b, r, scan.SARIFOptions{
		Sources: map[string]string{"gobinary": "go.mod", "os-pkgs": "Dockerfile"}, Root: repo,
	}))
	validate(t, s, b.Bytes())
	golden(t, "report.golden.sarif", b.Bytes())

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string
						Help struct{ Text, Markdown string }
					}
				}
			}
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &log))
	run := log.Runs[0]
	require.Len(t, run.Tool.Driver.Rules, 3)
	for _, rule := range run.Tool.Driver.Rules {
		require.NotEmpty(t, rule.Help.Text, rule.ID)
		require.NotEmpty(t, rule.Help.Markdown, rule.ID)
	}
	loc := map[string]string{}
	for _, res := range run.Results {
		pl := res.Locations[0].PhysicalLocation
		loc[res.RuleID] = pl.ArtifactLocation.URI + ":" + string(rune('0'+pl.Region.StartLine))
	}
	require.Equal(t, "go.mod:5", loc["CVE-2022-32149"], "the require line of go.mod")
	require.Equal(t, "Dockerfile:1", loc["CVE-2023-45853"])
	require.Equal(t, "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA:1", loc["CVE-2024-35195"])
}

func TestWriteTable(t *testing.T) {
	r := sampleReport()
	_ = vuln.Evaluate(r, vuln.Policy{Ignores: ignoreFile(t, "ignores:\n  - id: CVE-2023-45853\n    reason: minizip not built\n    expires: 2020-01-01\n")}, now)
	var b bytes.Buffer
	require.NoError(t, scan.WriteTable(&b, r))
	golden(t, "report.golden.txt", b.Bytes())
	require.Contains(t, b.String(), "Expired ignore: CVE-2023-45853 expired 2020-01-01")
	require.Contains(t, b.String(), "Gate [CRITICAL,HIGH]: FAILED (CVE-2022-32149, CVE-2023-45853)")
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(got))
}
