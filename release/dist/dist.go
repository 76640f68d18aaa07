package dist

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/sbom"
)

// File names every release has.
const (
	// SumsFile lists "SHA256  NAME" for every other file of the release.
	SumsFile = "SHA256SUMS"
	// SigFile is the signature of SumsFile.
	SigFile = "SHA256SUMS.sig"
)

// ArchiveName is the archive of binary at version (vX.Y.Z or X.Y.Z) for
// os and arch: paved_1.2.3_linux_amd64.tar.gz.
func ArchiveName(binary, version, os, arch string) string {
	return fmt.Sprintf("%s_%s_%s_%s.tar.gz", binary, strings.TrimPrefix(version, "v"), os, arch)
}

// Archive returns a gzipped tar holding bin as name (mode 0755), every
// timestamp at modTime, so the same binary gives the same bytes.
func Archive(name string, bin []byte, modTime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	h := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(bin)), ModTime: modTime.UTC(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return nil, fmt.Errorf("packing %s: %w", name, err)
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, fmt.Errorf("packing %s: %w", name, err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("packing %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("packing %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// File is one file of a release.
type File struct {
	Name string
	Data []byte
}

// Signer returns the base64 signature of SHA256SUMS, as sign.SignBlob does.
type Signer func(ctx context.Context, sums []byte) ([]byte, error)

// Release is what Write wrote.
type Release struct {
	// Files are the paths written, in order, SHA256SUMS and its signature
	// last.
	Files []string
	// Sums is the content of SHA256SUMS; SumsSHA256 its sha256 in hex,
	// what a wrapper pins for its version.
	Sums       []byte
	SumsSHA256 string
}

// Sums returns SHA256SUMS of files: "HEX  NAME" lines in the given order.
func Sums(files []File) []byte {
	var b strings.Builder
	for _, f := range files {
		s := sha256.Sum256(f.Data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(s[:]), f.Name)
	}
	return []byte(b.String())
}

// Write signs SHA256SUMS of files with sign, then writes files, SHA256SUMS
// and SHA256SUMS.sig into dir, each through a temporary name: a failure
// leaves no half-written file, and nothing is written unless signing worked.
func Write(ctx context.Context, dir string, files []File, sign Signer) (*Release, error) {
	sums := Sums(files)
	sig, err := sign(ctx, sums)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating release directory %q: %w", dir, err)
	}
	sum := sha256.Sum256(sums)
	rel := &Release{Sums: sums, SumsSHA256: hex.EncodeToString(sum[:])}
	for _, f := range append(files, File{SumsFile, sums}, File{SigFile, sig}) {
		dst := filepath.Join(dir, f.Name)
		if err := sbom.WriteFile(dst, f.Data); err != nil {
			return rel, err
		}
		rel.Files = append(rel.Files, dst)
	}
	return rel, nil
}
