package sbom

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging/pkgcataloging"
	"github.com/anchore/syft/syft/pkg/cataloger/golang"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source/stereoscopesource"

	// Syft refuses to catalog without a "sqlite" database/sql driver
	// (newer RPM databases are SQLite); this is the one its CLI registers.
	_ "modernc.org/sqlite"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Format is an SBOM document format.
type Format string

const (
	// SPDXJSON is SPDX 2.3 in JSON.
	SPDXJSON Format = "spdx-json"
	// CycloneDXJSON is CycloneDX 1.6 in JSON.
	CycloneDXJSON Format = "cyclonedx-json"
)

// Formats lists the supported formats, in the order --help shows them.
var Formats = []Format{SPDXJSON, CycloneDXJSON}

// ErrUnknownFormat is returned (as bad input) for a format that is not one of Formats.
var ErrUnknownFormat = errors.New("unknown SBOM format")

// ParseFormat returns the Format named s ("spdx-json" or "cyclonedx-json").
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", failure.BadInputErr(fmt.Errorf("parsing SBOM format %q: %w: use %s", s, ErrUnknownFormat, formatList()))
}

// SpecVersion is the version of the format's specification that paved
// writes: "2.3" for SPDX, "1.6" for CycloneDX.
func (f Format) SpecVersion() string {
	switch f {
	case SPDXJSON:
		return "2.3"
	case CycloneDXJSON:
		return "1.6"
	}
	return ""
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, " or ")
}

// Result is a generated SBOM and its summary.
type Result struct {
	// Document is the SBOM, UTF-8 JSON ending in a newline.
	Document []byte `json:"-"`
	// Format and SpecVersion name the document's format, e.g. "spdx-json", "2.3".
	Format      Format `json:"format"`
	SpecVersion string `json:"specVersion"`
	// Digest is the sha256 of Document, "sha256:<hex>".
	Digest string `json:"digest"`
	// Image is the reference the SBOM describes, pinned by digest when the
	// source has a repository (REPO@sha256:...); ImageDigest is the image
	// manifest digest.
	Image       string `json:"image"`
	ImageDigest string `json:"imageDigest"`
	// Distro is the operating system found in the image, e.g. "debian 12",
	// or empty.
	Distro string `json:"distro,omitempty"`
	// Packages counts packages by Syft package type ("deb", "go-module",
	// "python", "npm", ...). The Go standard library counts as a go-module.
	Packages map[string]int `json:"packages"`
	// Total is the number of packages.
	Total int `json:"total"`
	// Syft is the version of the Syft library that cataloged the image.
	Syft string `json:"syft"`
	// Layers counts the image's layers and those whose catalogue was
	// read from the layer cache (WithLayerCache) instead of catalogued.
	Layers Layers `json:"layers"`
}

// Generate catalogs the image of src and returns its SBOM in format.
// Errors are classified: an unreadable source, an image that is not an
// image, a corrupt layer or an unknown format is bad input; a registry that
// cannot be reached is transient.
func Generate(ctx context.Context, src Source, format Format, opts ...Option) (*Result, error) {
	if format.SpecVersion() == "" {
		return nil, failure.BadInputErr(fmt.Errorf("parsing SBOM format %q: %w: use %s", format, ErrUnknownFormat, formatList()))
	}
	o := makeOptions(opts)
	loaded, err := src.load(ctx, o)
	if err != nil {
		return nil, err
	}
	catalogCtx, err := withLicenseScanner(ctx)
	if err != nil {
		return nil, fmt.Errorf("building Syft's license scanner: %w", err)
	}
	s, layers, err := loaded.catalogLayers(catalogCtx, o.layerCache)
	if err != nil {
		return nil, err
	}
	doc, err := encode(*s, format, documentMeta{created: loaded.created(o), imageDigest: loaded.digest.String()})
	if err != nil {
		return nil, fmt.Errorf("encoding %s SBOM of %q: %w", format, src, err)
	}
	sum := sha256.Sum256(doc)
	res := &Result{
		Document:    doc,
		Format:      format,
		SpecVersion: format.SpecVersion(),
		Digest:      "sha256:" + hex.EncodeToString(sum[:]),
		Image:       loaded.reference,
		ImageDigest: loaded.digest.String(),
		Syft:        s.Descriptor.Version,
		Layers:      layers,
	}
	res.Packages, res.Total = countPackages(*s)
	if d := s.Artifacts.LinuxDistribution; d != nil {
		res.Distro = strings.TrimSpace(d.ID + " " + d.VersionID)
	}
	return res, nil
}

// catalog runs Syft on the image read into simg. ctx carries the license
// scanner (withLicenseScanner).
func (l *loadedImage) catalog(ctx context.Context, simg *image.Image) (*syftsbom.SBOM, error) {
	return syft.CreateSBOM(ctx, stereoscopesource.New(simg, stereoscopesource.ImageConfig{Reference: l.reference}), createConfig())
}

// SyftVersion is the version of the Syft library paved catalogs with, as
// go.mod requires it; the SBOM names it as its tool. (Syft reads its own
// version from the binary's build info, which test binaries do not carry.)
const SyftVersion = "v1.42.0"

// createConfig is Syft's default image cataloging with every network and
// host lookup off, so the SBOM depends on the image alone. Files are also
// hashed with SHA-1, which SPDX 2.3 requires of every file (and the package
// verification code is computed from), in every format so that a cached
// layer catalogue serves both.
func createConfig() *syft.CreateSBOMConfig {
	pkgs := pkgcataloging.DefaultConfig()
	pkgs.Golang = golang.DefaultCatalogerConfig().
		WithSearchRemoteLicenses(false).
		WithSearchLocalModCacheLicenses(false).
		WithSearchLocalVendorLicenses(false)
	pkgs.JavaArchive = pkgs.JavaArchive.WithUseNetwork(false)
	pkgs.JavaScript = pkgs.JavaScript.WithSearchRemoteLicenses(false)
	pkgs.Python = pkgs.Python.WithSearchRemoteLicenses(false)
	cfg := syft.DefaultCreateSBOMConfig().WithPackagesConfig(pkgs).WithTool("syft", SyftVersion)
	return cfg.WithFilesConfig(cfg.Files.WithHashers(crypto.SHA1, crypto.SHA256))
}

// countPackages counts packages by type.
func countPackages(s syftsbom.SBOM) (map[string]int, int) {
	counts := map[string]int{}
	total := 0
	for p := range s.Artifacts.Packages.Enumerate() {
		counts[string(p.Type)]++
		total++
	}
	return counts, total
}
