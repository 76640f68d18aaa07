package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/vuln"
)

func TestImageGateGoAPI(t *testing.T) {
	tests := []struct {
		name     string
		xtext    string
		source   string
		wantPass bool
	}{
		{"x/text v0.3.7 in OCI layout fails", testimage.VulnerableXTextVersion, "layout", false},
		{"x/text v0.3.7 in registry fails", testimage.VulnerableXTextVersion, "registry", false},
		{"x/text v0.3.8 in tarball passes", "v0.3.8", "tarball", true},
		{"x/text v0.3.8 in registry passes", "v0.3.8", "registry", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := testimage.New(t, goAPIImage(t, tt.xtext))
			var src string
			switch tt.source {
			case "layout":
				src = testimage.WriteLayout(t, img)
			case "tarball":
				src = testimage.WriteTarball(t, img)
			case "registry":
				src = testimage.Push(t, img).String()
			}
			r, err := scan.Image(context.Background(), src, scan.WithDBDir(fixtureDB(t)),
				scan.WithPolicy(vuln.Policy{Ignores: zlibIgnore(t)}))
			require.NotNil(t, r)
			require.Equal(t, "image", r.Artifact.Kind)
			require.Regexp(t, `^sha256:[0-9a-f]{64}$`, r.Artifact.Digest)
			require.Equal(t, "debian 12", r.Artifact.OS[:9])
			require.Len(t, r.Ignored, 1, "zlib1g CVE-2023-45853 is suppressed by the ignore file")
			if tt.wantPass {
				require.NoError(t, err)
				require.True(t, r.Gate.Passed)
				require.Empty(t, r.Findings)
				return
			}
			require.Error(t, err)
			require.Equal(t, failure.Policy, failure.KindOf(err))
			require.Contains(t, err.Error(), "CVE-2022-32149")
			require.Contains(t, err.Error(), "golang.org/x/text v0.3.7 installed, fixed in 0.3.8")
			require.Equal(t, []string{"CVE-2022-32149"}, r.Gate.Failing)
			require.Equal(t, 1, r.Counts[vuln.High])
			f := r.Findings[0]
			require.Equal(t, "gobinary", f.Type)
			require.Equal(t, "app/server", f.Target)
			require.Equal(t, "ParseAcceptLanguage takes a long time", f.Title[36:73])
		})
	}
}

func TestImageFindsOSAndLanguagePackages(t *testing.T) {
	debs := append([]testimage.DebianPackage{
		{Name: "libc6", Version: "2.36-9+deb12u1", Source: "glibc", Section: "libs", Description: "GNU C Library: Shared libraries"},
		{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl", Section: "libs", Description: "Secure Sockets Layer toolkit - shared libraries"},
	}, testimage.DefaultDebianPackages[2:]...) // tzdata, zlib1g
	img := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion, Debian: debs})
	r, err := scan.Image(context.Background(), testimage.WriteLayout(t, img), scan.WithDBDir(fixtureDB(t)))
	require.Equal(t, failure.Policy, failure.KindOf(err))

	want := map[string]struct{ typ, installed, fixed, severity string }{
		"CVE-2023-4911 libc6":              {"debian", "2.36-9+deb12u1", "2.36-9+deb12u3", "HIGH"},
		"CVE-2024-6119 libssl3":            {"debian", "3.0.11-1~deb12u2", "3.0.14-1~deb12u2", "HIGH"},
		"CVE-2023-45853 zlib1g":            {"debian", "1:1.2.13.dfsg-1", "", "CRITICAL"},
		"CVE-2022-32149 golang.org/x/text": {"gobinary", "v0.3.7", "0.3.8", "HIGH"},
		"CVE-2024-35195 requests":          {"python-pkg", "2.31.0", "2.32.0", "MEDIUM"},
		"CVE-2021-23337 lodash":            {"node-pkg", "4.17.20", "4.17.21", "HIGH"},
	}
	require.ElementsMatch(t, keys(want), findingIDs(r.Findings))
	for _, f := range r.Findings {
		w := want[f.ID+" "+f.Package]
		require.Equal(t, w.typ, f.Type, f.ID)
		require.Equal(t, w.installed, f.Installed, f.ID)
		require.Equal(t, w.fixed, f.Fixed, f.ID)
		require.EqualValues(t, w.severity, f.Severity, f.ID)
	}
	require.Equal(t, "will_not_fix", find(r.Findings, "CVE-2023-45853").Status)
	require.Equal(t, []string{"CVE-2021-23337", "CVE-2022-32149", "CVE-2023-45853", "CVE-2023-4911", "CVE-2024-6119"}, r.Gate.Failing)

	require.NoError(t, vuln.Evaluate(r, vuln.Policy{Severities: []vuln.Severity{vuln.Critical}, IgnoreUnfixed: true}, r.FinishedAt),
		"the only CRITICAL has no fix")
}

func TestImageBadInput(t *testing.T) {
	db := fixtureDB(t)
	notImage := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notImage, []byte("not an image"), 0o644))
	tests := []struct {
		name, src string
		opts      []scan.Option
		want      string
	}{
		{"file that is not an image", notImage, nil, "reading image tarball"},
		{"directory that is not a layout", t.TempDir(), nil, "not an OCI layout directory"},
		{"invalid reference", "UPPER/Case::x", nil, "neither a file"},
		{"no database dir", "", []scan.Option{scan.WithDBDir("")}, "no vulnerability database directory"},
		{"empty database dir", "", []scan.Option{scan.WithDBDir(t.TempDir())}, "paved db update"},
	}
	img := testimage.New(t, testimage.Options{NoGoBinary: true})
	layout := testimage.WriteLayout(t, img)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if src == "" {
				src = layout
			}
			r, err := scan.Image(context.Background(), src, append([]scan.Option{scan.WithDBDir(db)}, tt.opts...)...)
			require.Nil(t, r)
			require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func find(fs []vuln.Finding, id string) vuln.Finding {
	for _, f := range fs {
		if f.ID == id {
			return f
		}
	}
	return vuln.Finding{}
}
