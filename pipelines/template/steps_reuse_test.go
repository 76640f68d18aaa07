package template

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/vuln"
)

func TestSameFindings(t *testing.T) {
	x := vuln.Finding{ID: "CVE-2022-32149", Package: "golang.org/x/text", Installed: "v0.3.7", Fixed: "0.3.8", Severity: "HIGH"}
	y := vuln.Finding{ID: "CVE-2024-35195", Package: "requests", Installed: "2.31.0", Fixed: "2.32.0", Severity: "MEDIUM"}
	report := func(passed bool, ignored []vuln.Ignored, fs ...vuln.Finding) *vuln.Report {
		return &vuln.Report{Findings: fs, Ignored: ignored, Gate: vuln.Gate{Passed: passed}}
	}
	cases := []struct {
		name string
		a, b *vuln.Report
		same bool
	}{
		{"nothing found twice", report(true, nil), report(true, nil), true},
		{"the same findings in another order", report(true, nil, x, y), report(true, nil, y, x), true},
		{"a new finding", report(true, nil, y), report(true, nil, x, y), false},
		{"a new fix version", report(true, nil, x), report(true, nil, vuln.Finding{ID: x.ID, Package: x.Package, Installed: x.Installed, Fixed: "0.3.9", Severity: x.Severity}), false},
		{"another verdict", report(true, nil, x), report(false, nil, x), false},
		{"a finding now ignored", report(true, nil, x), report(true, []vuln.Ignored{{Finding: x}}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.same, sameFindings(tc.a, tc.b))
		})
	}
}
