package base_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/failure"
)

var cfg = base.Config{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Created: time.Unix(1700000000, 0).UTC()}

// hostStatus is this Debian machine's real dpkg database.
func hostStatus(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("/var/lib/dpkg/status")
	require.NoError(t, err)
	return data
}

// rootfs writes a small root filesystem tarball, as mmdebstrap would, with
// the given mtime (which the base must not keep).
func rootfs(t *testing.T, mtime time.Time, withStatus, gz bool) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, data []byte) {
		h.ModTime, h.Uname, h.Gname, h.Size = mtime, "root", "root", int64(len(data))
		require.NoError(t, tw.WriteHeader(h))
		_, err := tw.Write(data)
		require.NoError(t, err)
	}
	add(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	add(&tar.Header{Name: "./etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	add(&tar.Header{Name: "./etc/os-release", Typeflag: tar.TypeReg, Mode: 0o644}, []byte("ID=debian\nVERSION_ID=\"12\"\n"))
	add(&tar.Header{Name: "./usr/bin/ping", Typeflag: tar.TypeReg, Mode: 0o755, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}}, []byte("ping"))
	add(&tar.Header{Name: "./usr/bin/ping6", Typeflag: tar.TypeLink, Linkname: "./usr/bin/ping"}, nil)
	add(&tar.Header{Name: "./bin", Typeflag: tar.TypeSymlink, Linkname: "usr/bin"}, nil)
	if withStatus {
		add(&tar.Header{Name: "./var/lib/dpkg/status", Typeflag: tar.TypeReg, Mode: 0o644}, hostStatus(t))
	}
	require.NoError(t, tw.Close())
	data := buf.Bytes()
	name := "rootfs.tar"
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data, name = z.Bytes(), "rootfs.tar.gz"
	}
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func entries(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out[strings.TrimPrefix(h.Name, "/")] = h
	}
}

func TestFromRootfs(t *testing.T) {
	a, err := base.FromRootfs(rootfs(t, time.Now(), true, false), cfg)
	require.NoError(t, err)
	b, err := base.FromRootfs(rootfs(t, time.Now().Add(time.Hour), true, true), cfg)
	require.NoError(t, err)
	da, _ := a.Digest()
	db, _ := b.Digest()
	require.Equal(t, da, db, "file times and compression of the input must not change the digest")

	files := entries(t, a)
	require.Contains(t, files, "var/lib/dpkg/status")
	require.Equal(t, tar.TypeLink, int32(files["usr/bin/ping6"].Typeflag))
	require.Equal(t, "usr/bin/ping", files["usr/bin/ping6"].Linkname)
	require.Equal(t, "usr/bin", files["bin"].Linkname)
	require.NotEmpty(t, files["usr/bin/ping"].PAXRecords["SCHILY.xattr.security.capability"], "file capabilities are kept")
	require.Equal(t, cfg.Created, files["etc/os-release"].ModTime.UTC())
	require.Empty(t, files["etc/os-release"].Uname)

	c, err := a.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "amd64", c.Architecture)
	require.Contains(t, c.Config.Env, base.DefaultPath)
}

func TestFromRootfsRefusals(t *testing.T) {
	notTar := filepath.Join(t.TempDir(), "x.tar")
	require.NoError(t, os.WriteFile(notTar, []byte("definitely not a tarball, just some text that is long enough to fail"), 0o644))
	tests := []struct{ name, path, want string }{
		{"missing file", filepath.Join(t.TempDir(), "none.tar"), "no such file"},
		{"not a tar", notTar, "not a tar archive"},
		{"no dpkg status", rootfs(t, time.Now(), false, false), "no /var/lib/dpkg/status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := base.FromRootfs(tc.path, cfg)
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.Contains(t, err.Error(), tc.want)
			require.Contains(t, err.Error(), tc.path)
		})
	}
}

func TestStatic(t *testing.T) {
	img, err := base.Static("/", cfg)
	require.NoError(t, err)
	files := entries(t, img)
	for _, f := range []string{"etc/passwd", "etc/group", "etc/os-release", "etc/debian_version", "etc/ssl/certs/ca-certificates.crt",
		"usr/share/zoneinfo/Europe/Berlin", "var/lib/dpkg/status.d/tzdata", "var/lib/dpkg/status.d/ca-certificates", "var/lib/dpkg/status.d/base-files"} {
		require.Contains(t, files, f)
	}
	require.Equal(t, 65532, files["home/nonroot"].Uid)
	require.Equal(t, int64(0o1777), files["tmp"].Mode&0o7777)
	c, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "65532:65532", c.Config.User)

	again, err := base.Static("/", cfg)
	require.NoError(t, err)
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	require.Equal(t, d1, d2)
}

func TestStaticNeedsDebian(t *testing.T) {
	_, err := base.Static(t.TempDir(), cfg)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "dpkg database")
}
