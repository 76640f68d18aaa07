package sign

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// Predicate type URIs paved attests and verifies.
const (
	PredicateSPDX       = "https://spdx.dev/Document"
	PredicateCycloneDX  = "https://cyclonedx.org/bom"
	PredicateVuln       = attestation.CosignVulnProvenanceV01
	PredicateProvenance = slsa1.PredicateSLSAProvenance

	// ScanReportSchema is the schemaVersion of paved's scan report, the
	// object carried in the vuln predicate's scanner.result.
	ScanReportSchema = vuln.SchemaVersion
	// BuildType is the SLSA buildType of paved's provenance.
	BuildType = "https://github.com/paved-dev/paved/build/v1"
	// BaseImageDependency is the name of the provenance's resolved
	// dependency that is the base image (uri oci://REPO, digest sha256).
	BaseImageDependency = "base-image"
	// BaseImageNameAnnotation is the key, in that dependency's annotations,
	// of the base image as written (the OCI base.name annotation's key).
	BaseImageNameAnnotation = "org.opencontainers.image.base.name"
)

// cosignTypes maps Cosign's predicate type names (as in
// `cosign attest --type`) to predicate type URIs.
var cosignTypes = map[string]string{
	"spdx":             PredicateSPDX,
	"spdxjson":         PredicateSPDX,
	"cyclonedx":        PredicateCycloneDX,
	"vuln":             PredicateVuln,
	"slsaprovenance1":  PredicateProvenance,
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"link":             "https://in-toto.io/Link/v1",
	"openvex":          attestation.OpenVexNamespace,
	"custom":           attestation.CosignCustomProvenanceV01,
}

// PredicateTypeURI returns the predicate type URI of a Cosign type name
// (spdxjson, cyclonedx, vuln, slsaprovenance1, ...); any other value is
// returned unchanged, as a URI.
func PredicateTypeURI(t string) string {
	if uri, ok := cosignTypes[t]; ok {
		return uri
	}
	return t
}

// cosignTypeName returns the name Cosign's statement generator knows for
// t, so that a URI gets the same typed statement as its short name.
func cosignTypeName(t string) string {
	switch PredicateTypeURI(t) {
	case PredicateSPDX:
		return "spdxjson"
	case PredicateCycloneDX:
		return "cyclonedx"
	case PredicateVuln:
		return "vuln"
	case PredicateProvenance:
		return "slsaprovenance1"
	}
	return t
}

// SBOMPredicateType tells an SPDX JSON document from a CycloneDX JSON one
// and returns its predicate type URI.
func SBOMPredicateType(doc []byte) (string, error) {
	var probe struct {
		SPDXVersion string `json:"spdxVersion"`
		BOMFormat   string `json:"bomFormat"`
	}
	if err := json.Unmarshal(doc, &probe); err != nil {
		return "", failure.BadInputErr(fmt.Errorf("reading SBOM: not JSON: %w", err))
	}
	switch {
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-"):
		return PredicateSPDX, nil
	case probe.BOMFormat == "CycloneDX":
		return PredicateCycloneDX, nil
	}
	return "", failure.BadInputErr(errors.New("reading SBOM: neither SPDX JSON (spdxVersion) nor CycloneDX JSON (bomFormat)"))
}

// Scan is a finished vulnerability scan, as VulnPredicate attests it.
type Scan struct {
	// Report is paved's scan report: a JSON object with schemaVersion
	// ScanReportSchema and gate.passed.
	Report []byte
	// ScannerURI and ScannerVersion name the scanner (e.g. Trivy).
	ScannerURI, ScannerVersion string
	// DBURI and DBVersion name the vulnerability database.
	DBURI, DBVersion string
	// StartedOn and FinishedOn bound the scan; FinishedOn is what
	// Verify's maximum scan age is measured from.
	StartedOn, FinishedOn time.Time
}

// scanReport is the part of paved's scan report that verification reads.
type scanReport struct {
	SchemaVersion string `json:"schemaVersion"`
	Artifact      struct {
		Digest string `json:"digest"`
	} `json:"artifact"`
	Gate *struct {
		Passed *bool `json:"passed"`
	} `json:"gate"`
}

// errOtherSubject marks a scan report whose artifact is not the image it is
// attested to or verified for.
var errOtherSubject = errors.New("the scan report is of another image")

// checkScanSubject checks that report (paved's scan report) is a scan of
// image: its artifact.digest is image's digest.
func checkScanSubject(report []byte, image name.Digest) error {
	var r scanReport
	if err := json.Unmarshal(report, &r); err != nil {
		return fmt.Errorf("reading scan report: not a JSON object: %w", err)
	}
	switch r.Artifact.Digest {
	case image.DigestStr():
		return nil
	case "":
		return fmt.Errorf("%w: it names no image digest (artifact.digest): scan the image by digest (paved scan REPO@sha256:…, or --sbom FILE REPO@sha256:…)", errOtherSubject)
	}
	return fmt.Errorf("%w: its artifact.digest is %s, not %s: attest the scan of this image", errOtherSubject, r.Artifact.Digest, image.DigestStr())
}

func parseScanReport(b []byte) (bool, error) {
	var r scanReport
	if err := json.Unmarshal(b, &r); err != nil {
		return false, fmt.Errorf("not a JSON object: %w", err)
	}
	if r.SchemaVersion != ScanReportSchema {
		return false, fmt.Errorf("schemaVersion is %q, want %q", r.SchemaVersion, ScanReportSchema)
	}
	if r.Gate == nil || r.Gate.Passed == nil {
		return false, errors.New("no gate.passed verdict")
	}
	return *r.Gate.Passed, nil
}

// VulnPredicate returns Cosign's vulnerability predicate
// (https://cosign.sigstore.dev/attestation/vuln/v1) with paved's scan
// report as scanner.result.
func VulnPredicate(s Scan) ([]byte, error) {
	if _, err := parseScanReport(s.Report); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading scan report: %w", err))
	}
	if s.FinishedOn.IsZero() {
		return nil, failure.BadInputErr(errors.New("reading scan report: no scan finish time"))
	}
	if s.StartedOn.IsZero() {
		s.StartedOn = s.FinishedOn
	}
	p := attestation.CosignVulnPredicate{
		Invocation: attestation.Invocation{URI: "https://github.com/paved-dev/paved", BuilderID: builderID()},
		Scanner: attestation.Scanner{
			URI: s.ScannerURI, Version: s.ScannerVersion,
			DB:     attestation.DB{URI: s.DBURI, Version: s.DBVersion},
			Result: json.RawMessage(s.Report),
		},
		Metadata: attestation.Metadata{ScanStartedOn: s.StartedOn.UTC(), ScanFinishedOn: s.FinishedOn.UTC()},
	}
	return json.Marshal(p)
}

// Provenance describes a build, as ProvenancePredicate attests it.
type Provenance struct {
	// SourceRepository is the source's repository URL; SourceRevision the
	// commit that was built.
	SourceRepository, SourceRevision string
	// Parameters are the build's external parameters (paved.yaml values,
	// build flags); nil for none.
	Parameters map[string]any
	// BaseImage is the base image by digest (REPO@sha256:...), if any.
	BaseImage string
	// BaseImageName is the base image as the build wrote it (REPO:TAG or
	// REPO@sha256:..., fully qualified), recorded so that admission
	// policies can match a denial by tag; optional.
	BaseImageName string
	// InvocationID identifies the CI run (e.g. its URL); optional.
	InvocationID string
	// StartedOn and FinishedOn bound the build; optional.
	StartedOn, FinishedOn time.Time
}

func builderID() string { return "https://github.com/paved-dev/paved@" + version.Get() }

// ProvenancePredicate returns a SLSA provenance v1 predicate whose builder
// is paved at its own version.
func ProvenancePredicate(p Provenance) ([]byte, error) {
	if p.SourceRepository == "" || p.SourceRevision == "" {
		return nil, failure.BadInputErr(errors.New("making provenance: the source repository and revision are required"))
	}
	ext := map[string]any{"source": map[string]string{"repository": p.SourceRepository, "revision": p.SourceRevision}}
	if len(p.Parameters) > 0 {
		ext["parameters"] = p.Parameters
	}
	if p.BaseImageName != "" && p.BaseImage == "" {
		return nil, failure.BadInputErr(fmt.Errorf("making provenance: base image name %q given without the base image by digest", p.BaseImageName))
	}
	deps := []slsa1.ResourceDescriptor{{URI: "git+" + p.SourceRepository, Digest: map[string]string{"gitCommit": p.SourceRevision}}}
	if p.BaseImage != "" {
		repo, hex, ok := strings.Cut(p.BaseImage, "@sha256:")
		if !ok {
			return nil, failure.BadInputErr(fmt.Errorf("making provenance: base image %q is not pinned by digest", p.BaseImage))
		}
		ext["baseImage"] = p.BaseImage
		base := slsa1.ResourceDescriptor{Name: BaseImageDependency, URI: "oci://" + repo, Digest: map[string]string{"sha256": hex}}
		if p.BaseImageName != "" {
			base.Annotations = map[string]any{BaseImageNameAnnotation: p.BaseImageName}
		}
		deps = append(deps, base)
	}
	pred := slsa1.ProvenancePredicate{
		BuildDefinition: slsa1.ProvenanceBuildDefinition{BuildType: BuildType, ExternalParameters: ext, ResolvedDependencies: deps},
		RunDetails: slsa1.ProvenanceRunDetails{
			Builder:       slsa1.Builder{ID: builderID(), Version: map[string]string{"paved": version.Get()}},
			BuildMetadata: slsa1.BuildMetadata{InvocationID: p.InvocationID, StartedOn: timePtr(p.StartedOn), FinishedOn: timePtr(p.FinishedOn)},
		},
	}
	return json.Marshal(pred)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
