package scan

import (
	"context"
	"strings"

	debver "github.com/knqyf263/go-deb-version"
	packageurl "github.com/package-url/packageurl-go"

	"github.com/aquasecurity/trivy/pkg/cache"
	ftypes "github.com/aquasecurity/trivy/pkg/fanal/types"
)

// upstreamCache fills in the source package of Debian packages read from
// an SBOM before Trivy detects vulnerabilities in them.
//
// Debian advisories are keyed by source package (glibc, openssl, zlib),
// not by binary package (libc6, libssl3, zlib1g). Syft records the source
// package in the package URL's "upstream" qualifier ("zlib", or
// "glibc@2.36-9" when the versions differ); Trivy's SBOM decoder does not
// read that qualifier and falls back to the binary name, so without this an
// SBOM scan silently misses every OS advisory whose source and binary names
// differ (paved's SPDX documents name the source package for Trivy, its
// CycloneDX documents do not). It wraps the cache because Trivy's SBOM
// artifact decodes the file and writes the packages straight into the cache.
type upstreamCache struct{ cache.ArtifactCache }

func (c upstreamCache) PutBlob(ctx context.Context, id string, b ftypes.BlobInfo) error {
	for i := range b.PackageInfos {
		for j := range b.PackageInfos[i].Packages {
			p := &b.PackageInfos[i].Packages[j]
			fillUpstream(p)
		}
	}
	return c.ArtifactCache.PutBlob(ctx, id, b)
}

// fillUpstream sets a Debian package's source name (and version, when
// given) from its purl "upstream" qualifier, unless the SBOM already named
// a source package other than the binary one.
func fillUpstream(p *ftypes.Package) {
	u := p.Identifier.PURL
	if u == nil || u.Type != packageurl.TypeDebian || (p.SrcName != "" && p.SrcName != p.Name) {
		return
	}
	up := u.Qualifiers.Map()["upstream"]
	if up == "" {
		return
	}
	name, ver, _ := strings.Cut(up, "@")
	p.SrcName = name
	if ver == "" {
		return
	}
	if v, err := debver.NewVersion(ver); err == nil {
		p.SrcEpoch, p.SrcVersion, p.SrcRelease = v.Epoch(), v.Version(), v.Revision()
	}
}
