package scan_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// gitlabRequired is the part of GitLab's container-scanning report format
// (security-report-schemas, dist/container-scanning-report-format.json,
// 15.x) that GitLab needs to show a report: the schema itself is not in
// this repository or the module cache, so these are its required fields,
// enums and patterns, as Trivy's contrib/gitlab.tpl writes them.
const gitlabRequired = `{
  "type": "object",
  "required": ["version", "scan", "vulnerabilities"],
  "properties": {
    "version": {"type": "string", "pattern": "^15\\.\\d+\\.\\d+$"},
    "scan": {
      "type": "object",
      "required": ["analyzer", "scanner", "type", "start_time", "end_time", "status"],
      "properties": {
        "analyzer": {"$ref": "#/$defs/tool"},
        "scanner": {"$ref": "#/$defs/tool"},
        "type": {"const": "container_scanning"},
        "start_time": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$"},
        "end_time": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$"},
        "status": {"enum": ["success", "failure"]}
      }
    },
    "vulnerabilities": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["id", "identifiers", "location"],
        "properties": {
          "id": {"type": "string", "minLength": 1},
          "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
          "identifiers": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["type", "name", "value"]}},
          "location": {
            "type": "object",
            "required": ["dependency", "operating_system", "image"],
            "properties": {"dependency": {"type": "object", "required": ["package"], "properties": {"package": {"type": "object", "required": ["name"]}}}}
          }
        }
      }
    }
  },
  "$defs": {"tool": {"type": "object", "required": ["id", "name", "version", "vendor"], "properties": {"vendor": {"type": "object", "required": ["name"]}}}}
}`

func TestWriteGitLab(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := &vuln.Report{
		Artifact:  vuln.Artifact{Name: "reg/app@sha256:ab", OS: "debian 12.5"},
		StartedAt: at, FinishedAt: at.Add(time.Second),
		Findings: []vuln.Finding{
			{ID: "CVE-2022-32149", Package: "golang.org/x/text", Installed: "v0.3.7", Fixed: "0.3.8", Severity: vuln.High, Title: "denial of service", URL: "https://avd.aquasec.com/nvd/cve-2022-32149"},
			{ID: "CVE-2023-45853", Package: "zlib1g", Installed: "1:1.2.13", Severity: vuln.Critical},
			{ID: "GHSA-xxxx", Package: "lodash", Installed: "4.17.20", Severity: vuln.Unknown},
		},
	}
	var b bytes.Buffer
	require.NoError(t, scan.WriteGitLab(&b, r, "reg/app@sha256:ab", "v1.2.3"))
	validateGitLab(t, b.Bytes())

	var out struct {
		Scan struct {
			StartTime string `json:"start_time"`
			Scanner   struct {
				Version string `json:"version"`
			} `json:"scanner"`
		} `json:"scan"`
		Vulnerabilities []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Solution string `json:"solution"`
			Location struct {
				Image           string `json:"image"`
				OperatingSystem string `json:"operating_system"`
			} `json:"location"`
			Identifiers []struct{ Type, Value string } `json:"identifiers"`
		} `json:"vulnerabilities"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &out))
	require.Equal(t, "2026-12-01T10:00:00", out.Scan.StartTime)
	require.Equal(t, "v1.2.3", out.Scan.Scanner.Version)
	require.Len(t, out.Vulnerabilities, 3)
	v := out.Vulnerabilities[0]
	require.Equal(t, "High", v.Severity)
	require.Equal(t, "Upgrade golang.org/x/text to 0.3.8", v.Solution)
	require.Equal(t, "reg/app@sha256:ab", v.Location.Image)
	require.Equal(t, "debian 12.5", v.Location.OperatingSystem)
	require.Equal(t, "cve", v.Identifiers[0].Type)
	require.Equal(t, "Critical", out.Vulnerabilities[1].Severity)
	require.Equal(t, "No fixed version yet", out.Vulnerabilities[1].Solution)
	require.Equal(t, "ghsa", out.Vulnerabilities[2].Identifiers[0].Type)
	require.NotEqual(t, out.Vulnerabilities[0].ID, out.Vulnerabilities[1].ID)

	// The same finding in the same image keeps its id across pipelines.
	var again bytes.Buffer
	require.NoError(t, scan.WriteGitLab(&again, r, "reg/app@sha256:ab", "v1.2.3"))
	require.Equal(t, b.String(), again.String())

	// No findings: an empty list, still a valid report.
	b.Reset()
	require.NoError(t, scan.WriteGitLab(&b, &vuln.Report{StartedAt: at, FinishedAt: at}, "reg/app@sha256:ab", "v1.2.3"))
	validateGitLab(t, b.Bytes())
	require.Contains(t, b.String(), `"vulnerabilities": []`)
}

func validateGitLab(t *testing.T, doc []byte) {
	t.Helper()
	schema, err := jsonschema.UnmarshalJSON(strings.NewReader(gitlabRequired))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("gitlab.json", schema))
	s, err := c.Compile("gitlab.json")
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	require.NoError(t, s.Validate(v))
}
