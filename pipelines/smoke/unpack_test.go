package smoke

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"
)

type entry struct {
	hdr  tar.Header
	body string
}

// layer makes an uncompressed layer from entries.
func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		require.NoError(t, tw.WriteHeader(&h))
		_, err := tw.Write([]byte(e.body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	require.NoError(t, err)
	return l
}

func imageOf(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	require.NoError(t, err)
	return img
}

func dir(name string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}
func file(name, body string, mode int64) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, body: body}
}
func symlink(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

func TestUnpack(t *testing.T) {
	root := filepath.Join(t.TempDir(), "rootfs")
	img := imageOf(t,
		layer(t, dir("app/"), file("app/server.py", "print('v1')", 0o644), file("app/old.txt", "gone", 0o644),
			symlink("usr/bin/python", "python3"), file("usr/bin/python3", "#!elf", 0o755),
			entry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/null", Mode: 0o666, Devmajor: 1, Devminor: 3}},
			entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "usr/bin/python3.11", Linkname: "usr/bin/python3"}}),
		layer(t, file("app/server.py", "print('v2')", 0o600), file("app/.wh.old.txt", "", 0o644)),
	)
	require.NoError(t, Unpack(img, root))

	got, err := os.ReadFile(filepath.Join(root, "app/server.py"))
	require.NoError(t, err)
	require.Equal(t, "print('v2')", string(got), "the upper layer wins")
	fi, err := os.Stat(filepath.Join(root, "app/server.py"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoFileExists(t, filepath.Join(root, "app/old.txt"), "whiteouts apply")
	link, err := os.Readlink(filepath.Join(root, "usr/bin/python"))
	require.NoError(t, err)
	require.Equal(t, "python3", link)
	hard, err := os.Stat(filepath.Join(root, "usr/bin/python3.11"))
	require.NoError(t, err)
	orig, err := os.Stat(filepath.Join(root, "usr/bin/python3"))
	require.NoError(t, err)
	require.True(t, os.SameFile(hard, orig), "hard links stay hard links")
	require.NoFileExists(t, filepath.Join(root, "dev/null"), "device nodes are the runtime's")
}

func TestUnpackStaysInsideRootfs(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
	}{
		{"dot-dot path", []entry{file("../../escaped", "x", 0o644)}},
		{"absolute symlink parent", []entry{symlink("etc", "/OUTSIDE"), file("etc/escaped", "x", 0o644)}},
		{"relative symlink parent", []entry{symlink("up", "../../.."), file("up/escaped", "x", 0o644)}},
		{"hard link to outside", []entry{entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "escaped", Linkname: "../../outside"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			require.NoError(t, os.WriteFile(outside, []byte("host file"), 0o644))
			root := filepath.Join(base, "a", "b", "rootfs")
			// A hard link whose target resolves inside the rootfs but does not
			// exist there is an error; anything else must land inside.
			_ = Unpack(imageOf(t, layer(t, tt.entries...)), root)
			var leaked []string
			require.NoError(t, filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Name() == "escaped" {
					if rel, _ := filepath.Rel(root, p); rel == ".." || filepath.IsAbs(rel) || (len(rel) > 2 && rel[:3] == "../") {
						leaked = append(leaked, p)
					}
				}
				return nil
			}))
			require.Empty(t, leaked)
			if in, err := os.Stat(filepath.Join(root, "escaped")); err == nil {
				host, err := os.Stat(outside)
				require.NoError(t, err)
				require.False(t, os.SameFile(in, host), "a hard link may not reach a host file")
			}
			require.NoFileExists(t, "/OUTSIDE/escaped")
			data, err := os.ReadFile(outside)
			require.NoError(t, err)
			require.Equal(t, "host file", string(data))
		})
	}
}
