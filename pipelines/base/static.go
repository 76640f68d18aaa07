package base

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
)

// NonrootUID is the uid and gid of the "nonroot" user of static bases.
const NonrootUID = 65532

// staticPackages are the Debian packages whose files a static base carries,
// with the files taken from each.
var staticPackages = []struct {
	name  string
	files []string
}{
	{"base-files", []string{"usr/lib/os-release", "etc/debian_version"}},
	{"ca-certificates", []string{"etc/ssl/certs/ca-certificates.crt"}},
	{"tzdata", []string{"usr/share/zoneinfo"}},
}

const passwd = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`

const group = `root:x:0:
nobody:x:65534:
nonroot:x:65532:
`

// Static makes a distroless-style base for static Go binaries from the
// files of Debian packages installed under root ("/" on a Debian machine):
// CA certificates, time zones, os-release, /etc/passwd with root, nobody and
// nonroot (65532), and each package's dpkg status stanza under
// /var/lib/dpkg/status.d/ so scanners see the packages and their versions.
func Static(root string, c Config) (v1.Image, error) {
	status, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/status"))
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading the dpkg database under %q: %w: a static base is made from a Debian system's installed packages", root, err))
	}
	files := []build.File{
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte(passwd)},
		{Path: "/etc/group", Mode: 0o644, Data: []byte(group)},
		{Path: "/tmp", Dir: true, Mode: fs.ModeSticky | 0o777},
		{Path: "/home/nonroot", Dir: true, Mode: 0o700, UID: NonrootUID, GID: NonrootUID},
	}
	// Scanners read /etc/os-release as a file, not through a link.
	osRelease, err := os.ReadFile(filepath.Join(root, "usr/lib/os-release"))
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading os-release under %q: %w", root, err))
	}
	files = append(files, build.File{Path: "/etc/os-release", Mode: 0o644, Data: osRelease})
	arch, err := debianArch(c.Platform)
	if err != nil {
		return nil, err
	}
	for _, pkg := range staticPackages {
		stanza, err := dpkgStanza(status, pkg.name)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading package %q under %q: %w: install it (apt-get install %s)", pkg.name, root, err, pkg.name))
		}
		stanza = withArchitecture(stanza, arch)
		files = append(files, build.File{Path: "/var/lib/dpkg/status.d/" + pkg.name, Mode: 0o644, Data: stanza})
		for _, p := range pkg.files {
			fs, err := collect(root, p)
			if err != nil {
				return nil, failure.BadInputErr(fmt.Errorf("reading %q of package %q under %q: %w", p, pkg.name, root, err))
			}
			files = append(files, fs...)
		}
	}
	layer, err := build.Layer(files, c.Created)
	if err != nil {
		return nil, err
	}
	if c.User == "" {
		c.User = fmt.Sprintf("%d:%d", NonrootUID, NonrootUID)
	}
	c.Env = append([]string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}, c.Env...)
	return image([]v1.Layer{layer}, []string{"paved base static"}, c)
}

// debianArchs are Debian's names of the Go architectures (and variants).
var debianArchs = map[string]string{
	"amd64": "amd64", "arm64": "arm64", "arm/v7": "armhf", "arm/v6": "armel", "386": "i386",
	"ppc64le": "ppc64el", "s390x": "s390x", "riscv64": "riscv64",
}

// debianArch is Debian's name of p's architecture ("" for no platform:
// the stanzas stay as the machine has them); a platform Debian has no port
// for is bad input.
func debianArch(p v1.Platform) (string, error) {
	if p.OS == "" && p.Architecture == "" {
		return "", nil
	}
	key := p.Architecture
	if p.Variant != "" && p.Architecture != "arm64" {
		key += "/" + p.Variant
	}
	if a, ok := debianArchs[key]; ok && p.OS == "linux" {
		return a, nil
	}
	return "", failure.BadInputErr(fmt.Errorf("platform %q: Debian has no such port: use linux with amd64, arm64, arm/v7, arm/v6, 386, ppc64le, s390x or riscv64", p.String()))
}

// withArchitecture sets the Architecture of an architecture-specific
// stanza to arch (the files a static base takes are the same on every
// architecture); "all" stays.
func withArchitecture(stanza []byte, arch string) []byte {
	if arch == "" {
		return stanza
	}
	lines := bytes.Split(stanza, []byte("\n"))
	for i, l := range lines {
		if v, ok := bytes.CutPrefix(l, []byte("Architecture: ")); ok && string(v) != "all" {
			lines[i] = []byte("Architecture: " + arch)
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

// dpkgStanza returns the status stanza of an installed package.
func dpkgStanza(status []byte, pkg string) ([]byte, error) {
	for _, stanza := range bytes.Split(status, []byte("\n\n")) {
		sc := bufio.NewScanner(bytes.NewReader(stanza))
		if sc.Scan() && sc.Text() == "Package: "+pkg {
			if !bytes.Contains(stanza, []byte("\nStatus: install ok installed")) {
				return nil, fmt.Errorf("not installed")
			}
			return append(bytes.TrimSpace(stanza), '\n'), nil
		}
	}
	return nil, fmt.Errorf("not in the dpkg database")
}

// collect reads a file or a directory tree under root into layer files.
// Symlinks are kept as links when they stay inside the tree they belong to.
func collect(root, rel string) ([]build.File, error) {
	var files []build.File
	top := filepath.Join(root, rel)
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(root, p)
		dst := "/" + filepath.ToSlash(r)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			files = append(files, build.File{Path: dst, Dir: true, Mode: info.Mode().Perm()})
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if path.IsAbs(target) || !strings.HasPrefix(path.Clean(path.Join(path.Dir(dst), target)), "/"+filepath.ToSlash(rel)) {
				return nil // a link out of the package's tree would dangle
			}
			files = append(files, build.File{Path: dst, Link: target})
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files = append(files, build.File{Path: dst, Mode: info.Mode().Perm(), Data: data})
		}
		return nil
	})
	return files, err
}
