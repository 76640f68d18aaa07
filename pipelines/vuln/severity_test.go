package vuln_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/vuln"
)

// TestSeveritiesMatchSchemas: the severity list is written once, in Go;
// the scan report's schema and paved.yaml's schema spell the same list.
func TestSeveritiesMatchSchemas(t *testing.T) {
	want := vuln.Strings(vuln.AllSeverities)

	var report struct {
		Defs struct {
			Severity struct {
				Enum []string `json:"enum"`
			} `json:"severity"`
		} `json:"$defs"`
		Properties struct {
			Counts struct {
				Required []string `json:"required"`
			} `json:"counts"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(vuln.ReportSchema, &report))
	require.Equal(t, want, report.Defs.Severity.Enum, "report.schema.json $defs.severity")
	require.Equal(t, want, report.Properties.Counts.Required, "report.schema.json counts")

	data, err := os.ReadFile(filepath.Join("..", "..", "schema", "paved.schema.json"))
	require.NoError(t, err)
	var config struct {
		Defs struct {
			Scan struct {
				Properties struct {
					Severity struct {
						Items struct {
							Enum []string `json:"enum"`
						} `json:"items"`
					} `json:"severity"`
				} `json:"properties"`
			} `json:"scan"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(data, &config))
	lower := make([]string, len(want))
	for i, s := range want {
		lower[i] = strings.ToLower(s)
	}
	require.Equal(t, append(want, lower...), config.Defs.Scan.Properties.Severity.Items.Enum, "paved.schema.json scan.severity")
}
