package build

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// archiveFiles returns the entries of data when it is a tar archive, plain
// or compressed with gzip, bzip2, xz or zstd (what ADD unpacks); ok is
// false for anything else, which ADD copies as is. Paths are relative and
// cannot leave the destination; hard links become copies. Unpacking more
// than limit bytes (limit > 0) is refused.
func archiveFiles(data []byte, limit int64) (files []File, ok bool, err error) {
	r, err := decompress(data)
	if err != nil || r == nil {
		return nil, false, nil
	}
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil {
		// Not a tar stream: ADD copies the file unchanged.
		return nil, false, nil
	}
	var total int64
	byPath := map[string]int{}
	for ; err == nil; hdr, err = tr.Next() {
		rel := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if rel == "" || strings.HasPrefix(path.Base(rel), ".wh.") {
			continue
		}
		f := File{Path: rel, Mode: fileMode(hdr.Mode), UID: hdr.Uid, GID: hdr.Gid}
		switch hdr.Typeflag {
		case tar.TypeDir:
			f.Dir = true
		case tar.TypeSymlink:
			f.Link = hdr.Linkname
		case tar.TypeLink:
			i, found := byPath[strings.TrimPrefix(path.Clean("/"+hdr.Linkname), "/")]
			if !found {
				return nil, true, fmt.Errorf("hard link %q points to %q, which is not earlier in the archive", hdr.Name, hdr.Linkname)
			}
			f.Data = files[i].Data
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives still use TypeRegA
			total += hdr.Size
			if limit > 0 && total > limit {
				return nil, true, fmt.Errorf("it unpacks to more than the context limit of %s: unpack it into the context instead", byteSize(limit))
			}
			if f.Data, err = io.ReadAll(tr); err != nil {
				return nil, true, fmt.Errorf("reading %q: %w", hdr.Name, err)
			}
		default:
			continue // devices and FIFOs are not unpacked
		}
		byPath[rel] = len(files)
		files = append(files, f)
	}
	if !errors.Is(err, io.EOF) {
		return nil, true, err
	}
	return files, true, nil
}

// decompress returns a reader of data's decompressed bytes, by magic
// number; plain data is returned as is.
func decompress(data []byte) (io.Reader, error) {
	br := bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(data, []byte("BZh")):
		return bzip2.NewReader(br), nil
	case bytes.HasPrefix(data, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return xz.NewReader(br)
	case bytes.HasPrefix(data, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer d.Close()
		out, err := d.DecodeAll(data, nil)
		return bytes.NewReader(out), err
	}
	return br, nil
}
