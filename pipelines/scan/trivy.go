package scan

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	dbtypes "github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy/pkg/cache"
	"github.com/aquasecurity/trivy/pkg/fanal/analyzer"
	"github.com/aquasecurity/trivy/pkg/fanal/applier"
	"github.com/aquasecurity/trivy/pkg/fanal/artifact"
	ftypes "github.com/aquasecurity/trivy/pkg/fanal/types"
	tscan "github.com/aquasecurity/trivy/pkg/scan"
	"github.com/aquasecurity/trivy/pkg/scan/langpkg"
	"github.com/aquasecurity/trivy/pkg/scan/local"
	"github.com/aquasecurity/trivy/pkg/scan/ospkg"
	ttypes "github.com/aquasecurity/trivy/pkg/types"
	"github.com/aquasecurity/trivy/pkg/version/app"
	"github.com/aquasecurity/trivy/pkg/vulnerability"

	"github.com/paved-dev/paved/pipelines/vuln"
)

// trivyVersion is the version of the Trivy library linked into paved, from
// the build information (Trivy's own version variable is only set by its
// release builds).
func trivyVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/aquasecurity/trivy" {
				return m.Version
			}
		}
	}
	return app.Version()
}

// artifactOption is every Trivy artifact option that matters, set
// explicitly: Trivy's zero values differ from its CLI defaults.
func artifactOption(parallel int) artifact.Option {
	return artifact.Option{
		DisabledAnalyzers: disabledAnalyzers(),
		Parallel:          parallel,
		Offline:           true,
		NoProgress:        true,
		DetectionPriority: ftypes.PriorityPrecise,
		// No SBOM attestation lookups (Rekor) and no daemon image sources:
		// paved hands Trivy the image itself.
		SBOMSources: nil,
		ImageOption: ftypes.ImageOptions{ImageSources: ftypes.ImageSources{}},
	}
}

// disabledAnalyzers keeps the package analyzers of an image scan and turns
// off everything else: lock files (as Trivy's image scan does), secrets,
// misconfigurations, licenses, image-config checks, executables (they need
// Rekor), RPM archives and apk commands, and Java archives (they need
// Trivy's separate Java DB, which paved does not download).
func disabledAnalyzers() []analyzer.Type {
	d := append([]analyzer.Type{}, analyzer.TypeLockfiles...)
	d = append(d, analyzer.TypeConfigFiles...)
	return append(d, analyzer.TypeSecret, analyzer.TypeLicenseFile, analyzer.TypeHistoryDockerfile,
		analyzer.TypeExecutable, analyzer.TypeRpmArchive, analyzer.TypeApkCommand, analyzer.TypeJar)
}

// scanOptions are the Trivy scan options: vulnerabilities only, OS and
// language packages, all package relationships, severity from the
// advisory's own source first ("auto").
func scanOptions() ttypes.ScanOptions {
	return ttypes.ScanOptions{
		PkgTypes:            []string{ttypes.PkgTypeOS, ttypes.PkgTypeLibrary},
		PkgRelationships:    ftypes.Relationships,
		Scanners:            ttypes.Scanners{ttypes.VulnerabilityScanner},
		VulnSeveritySources: []dbtypes.SourceID{"auto"},
	}
}

// runTrivy scans one artifact with Trivy's local (standalone) service and
// an in-memory cache, against the database that vulndb.Open opened.
func runTrivy(ctx context.Context, newArtifact func(cache.ArtifactCache) (artifact.Artifact, error)) (ttypes.Report, error) {
	c := cache.NewMemoryCache()
	defer c.Close()
	art, err := newArtifact(c)
	if err != nil {
		return ttypes.Report{}, err
	}
	backend := local.NewService(applier.NewApplier(c), ospkg.NewScanner(), langpkg.NewScanner(), vulnerability.NewClient(trivydb.Config{}))
	return tscan.NewService(backend, art).ScanArtifact(ctx, scanOptions())
}

// findings flattens Trivy's results into paved findings.
func findings(rep ttypes.Report) []vuln.Finding {
	out := []vuln.Finding{}
	for _, res := range rep.Results {
		for _, v := range res.Vulnerabilities {
			out = append(out, vuln.Finding{
				ID:          v.VulnerabilityID,
				Package:     v.PkgName,
				Installed:   v.InstalledVersion,
				Fixed:       v.FixedVersion,
				Severity:    severity(v.Severity),
				Title:       v.Title,
				Description: v.Description,
				Status:      v.Status.String(),
				Target:      res.Target,
				Path:        v.PkgPath,
				Class:       string(res.Class),
				Type:        string(res.Type),
				PURL:        purl(v.PkgIdentifier),
				URL:         v.PrimaryURL,
			})
		}
	}
	vuln.SortFindings(out)
	return out
}

func severity(s string) vuln.Severity {
	sev := vuln.Severity(strings.ToUpper(s))
	if !sev.Known() {
		return vuln.Unknown
	}
	return sev
}

func purl(id ftypes.PkgIdentifier) string {
	if id.PURL == nil {
		return ""
	}
	return id.PURL.String()
}

// osName renders Trivy's detected OS, e.g. "debian 12.5".
func osName(rep ttypes.Report) string {
	if rep.Metadata.OS == nil || rep.Metadata.OS.Family == "" {
		return ""
	}
	return fmt.Sprintf("%s %s", rep.Metadata.OS.Family, rep.Metadata.OS.Name)
}
