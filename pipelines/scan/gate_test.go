package scan_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vuln"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func sampleReport() *vuln.Report {
	return &vuln.Report{
		SchemaVersion: vuln.SchemaVersion,
		Artifact:      vuln.Artifact{Name: "registry.example/app@sha256:" + sixtyFour, Digest: "sha256:" + sixtyFour, Kind: "image", OS: "debian 12.12"},
		Scanner:       vuln.ScannerInfo{Name: "trivy", Version: "v0.69.3"},
		DB:            vuln.DBInfo{SchemaVersion: 2, UpdatedAt: now, NextUpdate: now.Add(24 * time.Hour), DownloadedAt: now},
		StartedAt:     now, FinishedAt: now,
		Findings: []vuln.Finding{
			{ID: "CVE-2022-32149", Package: "golang.org/x/text", Installed: "v0.3.7", Fixed: "0.3.8", Severity: vuln.High, Title: "ParseAcceptLanguage DoS", Status: "fixed", Target: "app/server", Class: "lang-pkgs", Type: "gobinary", URL: "https://avd.aquasec.com/nvd/cve-2022-32149"},
			{ID: "CVE-2023-45853", Package: "zlib1g", Installed: "1:1.2.13.dfsg-1", Severity: vuln.Critical, Title: "zlib: integer overflow", Status: "will_not_fix", Target: "debian 12.12", Class: "os-pkgs", Type: "debian"},
			{ID: "CVE-2024-35195", Package: "requests", Installed: "2.31.0", Fixed: "2.32.0", Severity: vuln.Medium, Status: "fixed", Target: "Python", Path: "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", Class: "lang-pkgs", Type: "python-pkg"},
		},
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func ignoreFile(t *testing.T, yaml string) *vuln.IgnoreFile {
	t.Helper()
	f, err := vuln.ParseIgnoreFile(".paved-ignore.yaml", []byte(yaml))
	require.NoError(t, err)
	return f
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name        string
		policy      vuln.Policy
		wantFailing []string
		wantIgnored []string
		wantExpired []string
	}{
		{"default severities", vuln.Policy{}, []string{"CVE-2022-32149", "CVE-2023-45853"}, nil, nil},
		{"ignore unfixed", vuln.Policy{IgnoreUnfixed: true}, []string{"CVE-2022-32149"}, nil, nil},
		{"medium counts when asked", vuln.Policy{Severities: []vuln.Severity{vuln.Medium}}, []string{"CVE-2024-35195"}, nil, nil},
		{"valid ignore suppresses", vuln.Policy{Ignores: ignoreFile(t, `ignores:
  - id: CVE-2023-45853
    package: zlib1g
    reason: minizip not built
    expires: 2026-11-22
`)}, []string{"CVE-2022-32149"}, []string{"CVE-2023-45853"}, nil},
		{"ignore for another package does not match", vuln.Policy{Ignores: ignoreFile(t, `ignores:
  - id: CVE-2023-45853
    package: zlib1g-dev
    reason: only the dev package
    expires: 2027-01-01
`)}, []string{"CVE-2022-32149", "CVE-2023-45853"}, nil, nil},
		{"expired ignore stops suppressing and is reported", vuln.Policy{Ignores: ignoreFile(t, `ignores:
  - id: CVE-2022-32149
    reason: not reachable
    expires: 2026-11-21
  - id: CVE-2023-45853
    reason: minizip not built
    expires: 2027-06-30
`)}, []string{"CVE-2022-32149"}, []string{"CVE-2023-45853"}, []string{"CVE-2022-32149"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			err := vuln.Evaluate(r, tt.policy, now)
			require.Equal(t, tt.wantFailing, r.Gate.Failing)
			require.Equal(t, len(tt.wantFailing) == 0, r.Gate.Passed)
			if len(tt.wantFailing) > 0 {
				require.Equal(t, failure.Policy, failure.KindOf(err))
				for _, id := range tt.wantFailing {
					require.Contains(t, err.Error(), id)
				}
			}
			var ignored, expired []string
			for _, ig := range r.Ignored {
				ignored = append(ignored, ig.Finding.ID)
			}
			for _, e := range r.ExpiredIgnores {
				expired = append(expired, e.ID)
			}
			require.Equal(t, tt.wantIgnored, ignored)
			require.Equal(t, tt.wantExpired, expired)
			require.Equal(t, 3, len(r.Findings)+len(r.Ignored))
			// Evaluating again with no ignores restores every finding.
			_ = vuln.Evaluate(r, vuln.Policy{}, now)
			require.Len(t, r.Findings, 3)
		})
	}
}

func TestParseIgnoreFileMalformed(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"missing reason", "ignores:\n  - id: CVE-1\n    expires: 2027-01-01\n", `entry 1 (CVE-1): reason is required`},
		{"missing expiry", "ignores:\n  - id: CVE-1\n    reason: r\n", `entry 1 (CVE-1): expires is required`},
		{"bad date", "ignores:\n  - id: CVE-1\n    reason: r\n    expires: 2027-1-1\n", `entry 1 (CVE-1): expires "2027-1-1" is not a date`},
		{"not a date", "ignores:\n  - id: CVE-1\n    reason: r\n    expires: soon\n", `expires "soon" is not a date`},
		{"missing id", "ignores:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-01\n  - reason: r\n    expires: 2027-01-01\n", `entry 2: id is required`},
		{"unknown key", "ignores:\n  - id: CVE-1\n    reason: r\n    expiry: 2027-01-01\n", `line 4: unknown key "expiry" in ignores[0] (did you mean "expires"?)`},
		{"not a list", "ignores: CVE-1\n", `line 1: wrong type: ignores takes a list, not the string "CVE-1"`},
		{"a key twice", "ignores:\n  - id: CVE-1\n    id: CVE-2\n", `line 3: key "id" in ignores[0] given twice (first on line 2): keep one`},
		{"a policy", "apiVersion: paved.dev/v1\nkind: PlatformPolicy\n", `line 2: wrong kind of file: kind PlatformPolicy is a platform policy, not an ignore file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vuln.ParseIgnoreFile("svc/.paved-ignore.yaml", []byte(tt.yaml))
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.Contains(t, err.Error(), `"svc/.paved-ignore.yaml"`)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func FuzzParseIgnoreFile(f *testing.F) {
	f.Add([]byte("ignores:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-01\n"))
	f.Add([]byte("ignores: []\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := vuln.ParseIgnoreFile("fuzz.yaml", data)
		if err != nil {
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			return
		}
		for _, e := range file.Ignores {
			require.NotEmpty(t, e.ID)
			require.NotEmpty(t, e.Reason)
			require.False(t, e.ExpiresAt().IsZero())
		}
	})
}
