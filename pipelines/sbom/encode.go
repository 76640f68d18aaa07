package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/google/uuid"
)

// documentMeta holds the fields Syft fills with the clock and random
// UUIDs, which paved fills reproducibly instead.
type documentMeta struct {
	created     time.Time
	imageDigest string
}

// documentID is a name-based UUID for the document of one image, format,
// Syft version and creation time.
func (m documentMeta) documentID(s syftsbom.SBOM, f Format) uuid.UUID {
	key := strings.Join([]string{"paved-sbom", string(f), f.SpecVersion(), m.imageDigest, s.Descriptor.Name, s.Descriptor.Version, m.created.Format(time.RFC3339)}, "\n")
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(key))
}

// encode writes s in format f with Syft's own format models and the
// encoders Syft uses, replacing the creation time and the random document
// identifiers, and completing the SPDX document (see completeSPDX).
func encode(s syftsbom.SBOM, f Format, m documentMeta) ([]byte, error) {
	var buf bytes.Buffer
	switch f {
	case SPDXJSON:
		doc := spdxhelpers.ToFormatModel(s)
		if doc == nil {
			return nil, fmt.Errorf("converting to SPDX: no document")
		}
		doc.CreationInfo.Created = m.created.Format(time.RFC3339)
		doc.DocumentNamespace = replaceUUIDSuffix(doc.DocumentNamespace, m.documentID(s, f))
		if err := completeSPDX(doc, s.Artifacts.LinuxDistribution); err != nil {
			return nil, err
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", " ")
		if err := enc.Encode(doc); err != nil {
			return nil, err
		}
	case CycloneDXJSON:
		bom := cyclonedxhelpers.ToFormatModel(s)
		bom.SerialNumber = m.documentID(s, f).URN()
		if bom.Metadata != nil {
			bom.Metadata.Timestamp = m.created.Format(time.RFC3339)
		}
		if err := writeCycloneDX(&buf, bom); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownFormat, f)
	}
	return buf.Bytes(), nil
}

// writeCycloneDX writes bom as CycloneDX 1.6 JSON, indented, as paved
// writes every CycloneDX document.
func writeCycloneDX(w io.Writer, bom *cyclonedx.BOM) error {
	enc := cyclonedx.NewBOMEncoder(w, cyclonedx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cyclonedx.SpecVersion1_6)
}

// replaceUUIDSuffix replaces the random UUID that ends Syft's SPDX
// namespace ("https://anchore.com/syft/image/NAME-UUID") with id.
func replaceUUIDSuffix(ns string, id uuid.UUID) string {
	const n = len("00000000-0000-0000-0000-000000000000")
	if len(ns) >= n {
		if _, err := uuid.Parse(ns[len(ns)-n:]); err == nil {
			return ns[:len(ns)-n] + id.String()
		}
	}
	return ns + "-" + id.String()
}
