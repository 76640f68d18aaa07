package testimage

import (
	"bytes"
	"fmt"
)

// DebianPackage is one stanza of the dpkg status file.
type DebianPackage struct {
	Name         string
	Version      string
	Source       string // source package, when it differs from Name
	Architecture string // "amd64" or "all"
	Section      string
	Maintainer   string
	Description  string
}

// DefaultDebianPackages are real Debian 12 (bookworm) packages with the
// versions of bookworm's security updates in 2025.
var DefaultDebianPackages = []DebianPackage{
	{Name: "ca-certificates", Version: "20230311+deb12u1", Architecture: "all", Section: "misc",
		Maintainer: "Julien Cristau <jcristau@debian.org>", Description: "Common CA certificates"},
	{Name: "libssl3", Version: "3.0.19-1~deb12u2", Source: "openssl", Architecture: "amd64", Section: "libs",
		Maintainer: "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>", Description: "Secure Sockets Layer toolkit - shared libraries"},
	{Name: "tzdata", Version: "2025b-0+deb12u2", Architecture: "all", Section: "localization",
		Maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>", Description: "time zone and daylight-saving time data"},
	{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Source: "zlib", Architecture: "amd64", Section: "libs",
		Maintainer: "Mark Brown <broonie@debian.org>", Description: "compression library - runtime"},
}

// dpkgStatus renders debs as a dpkg status file, stanzas in the given order.
func dpkgStatus(debs []DebianPackage) []byte {
	var b bytes.Buffer
	for i, d := range debs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\n", d.Name)
		if d.Section != "" {
			fmt.Fprintf(&b, "Section: %s\n", d.Section)
		}
		fmt.Fprintf(&b, "Installed-Size: 100\n")
		if d.Maintainer != "" {
			fmt.Fprintf(&b, "Maintainer: %s\n", d.Maintainer)
		}
		arch := d.Architecture
		if arch == "" {
			arch = "amd64"
		}
		fmt.Fprintf(&b, "Architecture: %s\n", arch)
		if d.Source != "" {
			fmt.Fprintf(&b, "Source: %s\n", d.Source)
		}
		fmt.Fprintf(&b, "Version: %s\n", d.Version)
		desc := d.Description
		if desc == "" {
			desc = d.Name
		}
		fmt.Fprintf(&b, "Description: %s\n", desc)
	}
	return b.Bytes()
}
