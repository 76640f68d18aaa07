package build

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one entry of a layer. Exactly one of Data, Link or Dir applies.
type File struct {
	// Path is the absolute path in the image, with forward slashes.
	Path string
	// Mode holds the permission bits plus fs.ModeSetuid, fs.ModeSetgid and
	// fs.ModeSticky (0o755, 0o644, fs.ModeSticky|0o777).
	Mode fs.FileMode
	// UID and GID own the entry (0 unless set).
	UID, GID int
	// Data is a regular file's content.
	Data []byte
	// Link is a symbolic link's target.
	Link string
	// Dir marks a directory.
	Dir bool
}

// Layer writes files into a reproducible, gzip-compressed tar layer: entries
// sorted by path, parent directories created, every time set to mtime, no
// user or group names. The same files and mtime give the same digest.
func Layer(files []File, mtime time.Time) (v1.Layer, error) {
	data, err := tarFiles(files, mtime)
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func tarFiles(files []File, mtime time.Time) ([]byte, error) {
	mtime = mtime.UTC()
	entries := map[string]File{}
	for _, f := range files {
		p := cleanPath(f.Path)
		if p == "" {
			return nil, fmt.Errorf("layer entry %q: path must be inside the image root", f.Path)
		}
		f.Path = p
		entries[p] = f
		for dir := path.Dir(p); dir != "/" && dir != "."; dir = path.Dir(dir) {
			if _, ok := entries[dir]; !ok {
				entries[dir] = File{Path: dir, Dir: true, Mode: 0o755}
			}
		}
	}
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		if err := writeEntry(tw, entries[p], mtime); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeEntry(tw *tar.Writer, f File, mtime time.Time) error {
	hdr := &tar.Header{
		Name:    strings.TrimPrefix(f.Path, "/"),
		Mode:    tarMode(f.Mode),
		Uid:     f.UID,
		Gid:     f.GID,
		ModTime: mtime,
	}
	switch {
	case f.Dir:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case f.Link != "":
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = f.Link
	default:
		hdr.Typeflag = tar.TypeReg
		hdr.Size = int64(len(f.Data))
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing layer entry %q: %w", f.Path, err)
	}
	if hdr.Typeflag == tar.TypeReg {
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("writing layer entry %q: %w", f.Path, err)
		}
	}
	return nil
}

// tarMode returns the tar header mode of m: its permission bits plus the
// setuid, setgid and sticky bits (/tmp's 1777 must survive a layer).
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// cleanPath makes p absolute and clean; it returns "" for the root itself.
func cleanPath(p string) string {
	p = path.Clean("/" + strings.ReplaceAll(p, "\\", "/"))
	if p == "/" {
		return ""
	}
	return p
}
