package template

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/scan"
)

func TestSameFindings(t *testing.T) {
	x := scan.Finding{ID: "CVE-2022-32149", Package: "golang.org/x/text", Installed: "v0.3.7", Fixed: "0.3.8", Severity: "HIGH"}
	y := scan.Finding{ID: "CVE-2024-35195", Package: "requests", Installed: "2.31.0", Fixed: "2.32.0", Severity: "MEDIUM"}
	report := func(passed bool, ignored []scan.Ignored, fs ...scan.Finding) *scan.Report {
		return &scan.Report{Findings: fs, Ignored: ignored, Gate: scan.Gate{Passed: passed}}
	}
	cases := []struct {
		name string
		a, b *scan.Report
		same bool
	}{
		{"nothing found twice", report(true, nil), report(true, nil), true},
		{"the same findings in another order", report(true, nil, x, y), report(true, nil, y, x), true},
		{"a new finding", report(true, nil, y), report(true, nil, x, y), false},
		{"a new fix version", report(true, nil, x), report(true, nil, scan.Finding{ID: x.ID, Package: x.Package, Installed: x.Installed, Fixed: "0.3.9", Severity: x.Severity}), false},
		{"another verdict", report(true, nil, x), report(false, nil, x), false},
		{"a finding now ignored", report(true, nil, x), report(true, []scan.Ignored{{Finding: x}}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.same, sameFindings(tc.a, tc.b))
		})
	}
}
