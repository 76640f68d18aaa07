package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/CycloneDX/cyclonedx-go"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrNotCycloneDX is returned (as bad input) by FromDocument for a document
// that is not the CycloneDX 1.6 JSON paved writes.
var ErrNotCycloneDX = fmt.Errorf("not a CycloneDX %s JSON SBOM", CycloneDXJSON.SpecVersion())

// FromDocument is the Result of a CycloneDX 1.6 JSON SBOM that paved made
// earlier (read back from an image's attestation, say), describing image
// (REPO@sha256:...) with manifest digest imageDigest. The document is
// written again as Generate writes it, so an attestation's re-encoded
// predicate gives back the bytes (and Digest) Generate gave. Packages and
// Distro are read from Syft's component properties; Layers is zero:
// nothing was catalogued.
func FromDocument(doc []byte, image, imageDigest string) (*Result, error) {
	var bom cyclonedx.BOM
	if err := cyclonedx.NewBOMDecoder(bytes.NewReader(doc), cyclonedx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading the SBOM of %q: %w: %w", image, ErrNotCycloneDX, err))
	}
	if bom.SpecVersion != cyclonedx.SpecVersion1_6 || bom.Components == nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading the SBOM of %q: %w", image, ErrNotCycloneDX))
	}
	var buf bytes.Buffer
	if err := writeCycloneDX(&buf, &bom); err != nil {
		return nil, fmt.Errorf("encoding the SBOM of %q: %w", image, err)
	}
	doc = buf.Bytes()
	sum := sha256.Sum256(doc)
	res := &Result{
		Document: doc, Format: CycloneDXJSON, SpecVersion: CycloneDXJSON.SpecVersion(),
		Digest: "sha256:" + hex.EncodeToString(sum[:]), Image: image, ImageDigest: imageDigest,
		Packages: map[string]int{}, Syft: SyftVersion,
	}
	for _, c := range *bom.Components {
		if c.Type == cyclonedx.ComponentTypeOS {
			res.Distro = strings.TrimSpace(c.Name + " " + c.Version)
		}
		if c.Properties == nil {
			continue
		}
		for _, p := range *c.Properties {
			if p.Name == "syft:package:type" {
				res.Packages[p.Value]++
				res.Total++
			}
		}
	}
	if bom.Metadata != nil && bom.Metadata.Tools != nil && bom.Metadata.Tools.Components != nil {
		for _, t := range *bom.Metadata.Tools.Components {
			if t.Name == "syft" {
				res.Syft = t.Version
			}
		}
	}
	return res, nil
}
