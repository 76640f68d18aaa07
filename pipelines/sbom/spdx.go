package sbom

import (
	"crypto/sha1" //nolint:gosec // SPDX 2.3 requires SHA-1 for files and the package verification code.
	"fmt"
	"strings"

	"github.com/anchore/syft/syft/linux"
	packageurl "github.com/package-url/packageurl-go"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/utils"
)

// Trivy's names in SPDX documents: it finds the operating system by this
// SPDX id prefix, and a Debian package's source package by this sourceInfo
// prefix ("built package from: zlib 1:1.2.13.dfsg-1").
const (
	trivyOSPrefix     = "OperatingSystem-"
	trivySourcePrefix = "built package from: "
)

// completeSPDX adds to Syft's SPDX document what SPDX 2.3 requires and what
// stock Trivy reads, so that `trivy sbom` finds the packages it finds in
// the image:
//
//   - the operating system as a package of purpose OPERATING_SYSTEM with
//     Trivy's SPDX id prefix, contained by the document's root (without it,
//     Trivy detects no OS and skips every OS package);
//   - the source package of every Debian package in sourceInfo (Debian
//     advisories are keyed by source package);
//   - the package verification code of every package with files, computed
//     over its files' SHA-1 as the SPDX tools compute it.
func completeSPDX(doc *spdx.Document, distro *linux.Release) error {
	if distro != nil && distro.ID != "" {
		addOS(doc, distro)
	}
	contains := map[common.ElementID][]*spdx.File{}
	files := map[common.ElementID]*spdx.File{}
	for _, f := range doc.Files {
		files[f.FileSPDXIdentifier] = f
	}
	for _, r := range doc.Relationships {
		if f, ok := files[r.RefB.ElementRefID]; ok && r.Relationship == common.TypeRelationshipContains {
			contains[r.RefA.ElementRefID] = append(contains[r.RefA.ElementRefID], f)
		}
	}
	for _, p := range doc.Packages {
		if src := debianSource(p); src != "" {
			p.PackageSourceInfo = trivySourcePrefix + src
		}
		if !p.FilesAnalyzed || len(contains[p.PackageSPDXIdentifier]) == 0 {
			continue
		}
		code, err := utils.GetVerificationCode(contains[p.PackageSPDXIdentifier], "")
		if err != nil {
			return fmt.Errorf("computing the verification code of %s: %w", p.PackageName, err)
		}
		p.PackageVerificationCode = &code
	}
	return nil
}

// addOS adds the operating system package and the root's CONTAINS
// relationship to it.
func addOS(doc *spdx.Document, d *linux.Release) {
	version := d.VersionID
	if version == "" {
		version = d.Version
	}
	sum := sha1.Sum([]byte(d.ID + "\n" + version)) //nolint:gosec // an identifier, not a signature
	id := common.ElementID(fmt.Sprintf("%s%x", trivyOSPrefix, sum[:8]))
	doc.Packages = append(doc.Packages, &spdx.Package{
		PackageName: d.ID, PackageSPDXIdentifier: id, PackageVersion: version,
		PackageDownloadLocation: "NONE", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded: "NOASSERTION", PackageLicenseDeclared: "NOASSERTION", PackageCopyrightText: "NOASSERTION",
		PrimaryPackagePurpose: "OPERATING_SYSTEM", PackageComment: strings.TrimSpace(d.PrettyName),
	})
	for _, r := range doc.Relationships {
		if r.RefA.ElementRefID == "DOCUMENT" && r.Relationship == common.TypeRelationshipDescribe {
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA: common.MakeDocElementID("", string(r.RefB.ElementRefID)), RefB: common.MakeDocElementID("", string(id)),
				Relationship: common.TypeRelationshipContains,
			})
			return
		}
	}
}

// debianSource returns "NAME VERSION" of a Debian package's source
// package, from its purl's upstream qualifier ("zlib", or "glibc@2.36-9"
// when the versions differ; none when the names are the same), or "" for
// a package that is not Debian's.
func debianSource(p *spdx.Package) string {
	for _, ref := range p.PackageExternalReferences {
		if ref.RefType != "purl" {
			continue
		}
		u, err := packageurl.FromString(ref.Locator)
		if err != nil || u.Type != packageurl.TypeDebian {
			return ""
		}
		up := u.Qualifiers.Map()["upstream"]
		if up == "" {
			up = p.PackageName // the source package has the binary's name
		}
		name, ver, _ := strings.Cut(up, "@")
		if ver == "" {
			ver = p.PackageVersion
		}
		return name + " " + ver
	}
	return ""
}
