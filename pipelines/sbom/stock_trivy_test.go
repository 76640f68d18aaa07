//go:build stock

// Stock Trivy on paved's SBOMs: `trivy sbom` on paved's SPDX SBOM of an
// image finds the operating system, the same OS packages and the same
// vulnerabilities as `trivy image` on the image itself (on the CycloneDX
// SBOM, the operating system and the packages). Run with -tags stock (make sbom-stock-test): the trivy CLI comes
// from hack/tools.sh, pinned to the version paved embeds; the test fails,
// never skips, when it cannot run.

package sbom_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// trivyResult is what a stock Trivy JSON report says of one target.
type trivyResult struct {
	Class    string `json:"Class"`
	Type     string `json:"Type"`
	Packages []struct {
		Name, Version, Release string
		Epoch                  int
	} `json:"Packages"`
	Vulnerabilities []struct {
		VulnerabilityID, PkgName, InstalledVersion string
	} `json:"Vulnerabilities"`
}

type trivyReport struct {
	Metadata struct {
		OS *struct{ Family, Name string } `json:"OS"`
	} `json:"Metadata"`
	Results []trivyResult `json:"Results"`
}

// summary is a report's OS, and per class its packages and findings.
func (r trivyReport) summary() map[string][]string {
	out := map[string][]string{}
	if r.Metadata.OS != nil {
		out["os"] = []string{r.Metadata.OS.Family + " " + strings.SplitN(r.Metadata.OS.Name, ".", 2)[0]}
	}
	for _, res := range r.Results {
		for _, p := range res.Packages {
			// An image scan splits a Debian version into epoch, version and
			// release; an SBOM scan keeps it whole.
			v := p.Version
			if p.Epoch > 0 {
				v = fmt.Sprintf("%d:%s", p.Epoch, v)
			}
			if p.Release != "" {
				v += "-" + p.Release
			}
			out[res.Class+" packages"] = append(out[res.Class+" packages"], p.Name+" "+v)
		}
		for _, v := range res.Vulnerabilities {
			out[res.Class+" vulnerabilities"] = append(out[res.Class+" vulnerabilities"], v.VulnerabilityID+" "+v.PkgName+" "+v.InstalledVersion)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func stockTrivy(t *testing.T, cache string, args ...string) (trivyReport, string) {
	t.Helper()
	out, err := exec.Command(filepath.Join("..", "..", "hack", "tools.sh"), "trivy").Output()
	require.NoError(t, err, "hack/tools.sh trivy")
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(strings.TrimSpace(string(out)), append(args, "--cache-dir", cache, "--skip-db-update", "--offline-scan",
		"--skip-version-check", "--disable-telemetry", "--scanners", "vuln", "--list-all-pkgs", "--format", "json", "--output", report)...)
	log, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", log)
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	var r trivyReport
	require.NoError(t, json.Unmarshal(data, &r))
	return r, string(log)
}

func TestStockTrivyReadsPavedSBOM(t *testing.T) {
	cache := t.TempDir()
	require.NoError(t, vulndb.BuildFixture(filepath.Join(cache, "db"), time.Now()))
	img := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion, DpkgFiles: true})
	fromImage, _ := stockTrivy(t, cache, "image", "--input", testimage.WriteTarball(t, img))
	want := fromImage.summary()
	require.NotEmpty(t, want["os-pkgs packages"])
	require.NotEmpty(t, want["os-pkgs vulnerabilities"], "the fixture DB has advisories for the image's Debian packages")

	for _, format := range sbom.Formats {
		t.Run(string(format), func(t *testing.T) {
			res, err := sbom.Generate(context.Background(), sbom.Image(img, "registry.example/app"), format)
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), "sbom.json")
			require.NoError(t, os.WriteFile(file, res.Document, 0o644))
			fromSBOM, log := stockTrivy(t, cache, "sbom", file)
			require.NotContains(t, log, `family="none"`)
			got := fromSBOM.summary()
			keys := []string{"os", "os-pkgs packages", "os-pkgs vulnerabilities"}
			if format == sbom.CycloneDXJSON {
				// Syft's CycloneDX names no Debian source package in a form
				// stock Trivy reads (paved's own scan reads the purl's
				// upstream qualifier), so source-keyed advisories differ.
				keys = keys[:2]
			}
			for _, k := range keys {
				require.Equal(t, want[k], got[k], "%s: trivy sbom vs trivy image", k)
			}
			t.Logf("%s: trivy image and trivy sbom agree: %s, %d OS packages, %d OS findings", format, got["os"], len(got["os-pkgs packages"]), len(got["os-pkgs vulnerabilities"]))
		})
	}
}
