package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// comparable reduces a finding to what must agree between an image scan
// and a scan of that image's SBOM.
func comparable(fs []vuln.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+" "+f.Package+" "+f.Installed+" "+f.Fixed+" "+string(f.Severity))
	}
	return out
}

func TestSBOMScanMatchesImageScan(t *testing.T) {
	img := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	layout := testimage.WriteLayout(t, img)
	fromImage, err := scan.Image(context.Background(), layout, scan.WithDBDir(fixtureDB(t)))
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.NotEmpty(t, fromImage.Findings)

	for _, format := range sbom.Formats {
		t.Run(string(format), func(t *testing.T) {
			res, err := sbom.Generate(context.Background(), sbom.Layout(layout), format)
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), "sbom.json")
			require.NoError(t, os.WriteFile(file, res.Document, 0o644))

			fromSBOM, err := scan.SBOM(context.Background(), file, scan.WithDBDir(fixtureDB(t)),
				scan.WithArtifact(vuln.Artifact{Name: res.Image, Digest: res.ImageDigest}))
			require.Equal(t, failure.Policy, failure.KindOf(err))
			require.Equal(t, "sbom", fromSBOM.Artifact.Kind)
			require.Equal(t, fromImage.Artifact.Digest, fromSBOM.Artifact.Digest)
			require.ElementsMatch(t, comparable(fromImage.Findings), comparable(fromSBOM.Findings))
			require.Equal(t, fromImage.Gate.Failing, fromSBOM.Gate.Failing)
		})
	}
}

func TestSBOMBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	tests := []struct{ name, file, want string }{
		{"missing file", filepath.Join(dir, "nope.json"), "reading SBOM"},
		{"empty file", write("empty.json", ""), "not a CycloneDX or SPDX JSON file"},
		{"unknown format", write("other.json", `{"hello": "world"}`), "scanning"},
		{"not JSON", write("text.json", "just text"), "scanning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := scan.SBOM(context.Background(), tt.file, scan.WithDBDir(fixtureDB(t)))
			require.Nil(t, r)
			require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
			require.Contains(t, err.Error(), tt.want)
			require.Contains(t, err.Error(), tt.file)
		})
	}
}

func TestSBOMScanReadsDebianSourcePackages(t *testing.T) {
	debs := append([]testimage.DebianPackage{
		{Name: "libc6", Version: "2.36-9+deb12u1", Source: "glibc"},
		{Name: "libssl3", Version: "3.0.11-1~deb12u2", Source: "openssl"},
	}, testimage.DefaultDebianPackages[2:]...)
	img := testimage.New(t, testimage.Options{NoGoBinary: true, Debian: debs, Python: []testimage.Package{}, NPM: []testimage.Package{}})
	layout := testimage.WriteLayout(t, img)
	for _, format := range sbom.Formats {
		t.Run(string(format), func(t *testing.T) {
			res, err := sbom.Generate(context.Background(), sbom.Layout(layout), format)
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), "sbom.json")
			require.NoError(t, os.WriteFile(file, res.Document, 0o644))
			r, _ := scan.SBOM(context.Background(), file, scan.WithDBDir(fixtureDB(t)))
			require.NotNil(t, r)
			require.Equal(t, "debian 12", r.Artifact.OS)
			require.ElementsMatch(t, []string{"CVE-2023-4911 libc6", "CVE-2024-6119 libssl3", "CVE-2023-45853 zlib1g"}, findingIDs(r.Findings))
		})
	}
}
