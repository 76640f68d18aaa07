package testimage

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// file is one regular file of a layer: its content is data, or the content
// of the local file src.
type file struct {
	path string
	mode int64
	data []byte
	src  string
}

// tarFiles writes files, with their parent directories, into a tar archive
// whose bytes depend only on the file list: fixed times, root owner.
func tarFiles(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, dir := range parentDirs(files) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		data := f.data
		if f.src != "" {
			var err error
			if data, err = os.ReadFile(f.src); err != nil {
				return nil, err
			}
		}
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(f.path, "/"), Mode: mode, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parentDirs lists the directories above files, parents first.
func parentDirs(files []file) []string {
	seen := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(strings.TrimPrefix(f.path, "/")); d != "." && d != "/"; d = path.Dir(d) {
			seen[d] = true
		}
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

func opener(data []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// osRelease is Debian 12's /etc/os-release.
const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`

// baseFiles is the distribution layer: release files and the dpkg database.
func baseFiles(debs []DebianPackage) []file {
	return []file{
		{path: "/etc/os-release", data: []byte(osRelease)},
		{path: "/usr/lib/os-release", data: []byte(osRelease)},
		{path: "/etc/debian_version", data: []byte("12.11\n")},
		{path: DpkgStatusPath, data: dpkgStatus(debs)},
	}
}

// dpkgFiles are two documentation files per Debian package and the dpkg
// info md5sums naming them, as on a real Debian system.
func dpkgFiles(debs []DebianPackage) []file {
	var files []file
	for _, d := range debs {
		var sums strings.Builder
		for _, n := range []string{"copyright", "changelog.Debian"} {
			p := "usr/share/doc/" + d.Name + "/" + n
			data := []byte(d.Name + " " + d.Version + " " + n + "\n")
			files = append(files, file{path: "/" + p, data: data})
			fmt.Fprintf(&sums, "%x  %s\n", md5.Sum(data), p)
		}
		files = append(files, file{path: "/var/lib/dpkg/info/" + d.Name + ".md5sums", data: []byte(sums.String())})
	}
	return files
}

// languageFiles is the application-dependencies layer.
func languageFiles(python, npm []Package) []file {
	var files []file
	for _, p := range python {
		dir := fmt.Sprintf("%s/%s-%s.dist-info", PythonSitePackages, p.Name, p.Version)
		files = append(files,
			file{path: dir + "/METADATA", data: []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s test fixture\nLicense: Apache 2.0\n\n", p.Name, p.Version, p.Name))},
			file{path: dir + "/INSTALLER", data: []byte("pip\n")},
			file{path: dir + "/top_level.txt", data: []byte(p.Name + "\n")},
		)
	}
	for _, p := range npm {
		manifest := fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": %q,\n  \"description\": \"%s test fixture\",\n  \"license\": \"MIT\",\n  \"main\": \"index.js\"\n}\n", p.Name, p.Version, p.Name)
		files = append(files, file{path: fmt.Sprintf("%s/%s/package.json", NodeModules, p.Name), data: []byte(manifest)})
	}
	return files
}
