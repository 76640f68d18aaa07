package base

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/pipelines/failure"
)

// dpkgStatus is where Debian keeps its package database.
const dpkgStatus = "var/lib/dpkg/status"

// FromRootfs makes a one-layer base image from a root filesystem tarball
// (plain or gzip). Entries keep their paths, modes, owners, links and
// capabilities; times are set to c.Created and owner names dropped, so the
// same tarball gives the same digest. A tarball without a dpkg status file is
// refused: scanners would see no packages.
func FromRootfs(path string, c Config) (v1.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading rootfs tarball %q: %w", path, err))
	}
	defer f.Close()
	data, err := normalize(f, c)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading rootfs tarball %q: %w", path, err))
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	return image([]v1.Layer{layer}, []string{"paved base rootfs"}, c)
}

// normalize rewrites the tarball with fixed times and no owner names, and
// checks that it holds a dpkg status file.
func normalize(r io.Reader, c Config) ([]byte, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		src = gz
	}
	tr := tar.NewReader(src)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hasStatus := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a tar archive or corrupt: %w", err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(hdr.Name, "./"), "/")
		if name == "" {
			continue
		}
		if name == dpkgStatus {
			hasStatus = true
		}
		out := &tar.Header{
			Typeflag: hdr.Typeflag, Name: name, Linkname: strings.TrimPrefix(hdr.Linkname, "./"),
			Size: hdr.Size, Mode: hdr.Mode, Uid: hdr.Uid, Gid: hdr.Gid,
			ModTime: c.Created, Devmajor: hdr.Devmajor, Devminor: hdr.Devminor,
			PAXRecords: keepXattrs(hdr.PAXRecords),
		}
		if hdr.Typeflag == tar.TypeLink {
			out.Linkname = strings.TrimPrefix(out.Linkname, "/")
		}
		if err := tw.WriteHeader(out); err != nil {
			return nil, fmt.Errorf("rewriting %q: %w", name, err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, fmt.Errorf("rewriting %q: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if !hasStatus {
		return nil, fmt.Errorf("no /%s in it: build the rootfs from Debian packages (mmdebstrap) so scanners can see them", dpkgStatus)
	}
	return buf.Bytes(), nil
}

// keepXattrs keeps the file capabilities (ping, for example) and drops the
// rest of the PAX records, times included.
func keepXattrs(recs map[string]string) map[string]string {
	var out map[string]string
	for k, v := range recs {
		if k == "SCHILY.xattr.security.capability" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
