package vulndb

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved/pipelines/failure"
)

// maxDBSize bounds what Import extracts from an archive (Trivy's full DB is
// under 1 GiB uncompressed).
const maxDBSize = 4 << 30

// Import installs a database into dir from file: either a trivy.db with its
// metadata.json in the same directory, or a tar or tar.gz archive holding
// trivy.db and metadata.json (at its root or in one directory, as in
// Trivy's db.tar.gz). The database is checked before it replaces what dir
// holds; bad input leaves dir as it was.
func Import(dir, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("opening database file %q: %w", file, err))
	}
	defer f.Close()
	stage, err := stageDir(dir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)

	br := bufio.NewReader(f)
	magic, _ := br.Peek(512)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return failure.BadInputErr(fmt.Errorf("reading gzip archive %q: %w", file, err))
		}
		err = untar(zr, stage)
		if err != nil {
			return failure.BadInputErr(fmt.Errorf("extracting %q: %w", file, err))
		}
	case len(magic) >= 262 && string(magic[257:262]) == "ustar":
		if err := untar(br, stage); err != nil {
			return failure.BadInputErr(fmt.Errorf("extracting %q: %w", file, err))
		}
	default:
		if err := copyPair(file, stage); err != nil {
			return failure.BadInputErr(err)
		}
	}
	if err := install(stage, dir); err != nil {
		return fmt.Errorf("importing %q: %w", file, err)
	}
	return nil
}

// copyPair copies a trivy.db and the metadata.json beside it into stage.
func copyPair(file, stage string) error {
	meta := filepath.Join(filepath.Dir(file), MetadataFile)
	if _, err := os.Stat(meta); err != nil {
		return fmt.Errorf("importing %q: %w: no %s beside it (give a trivy.db with its metadata.json, or a tar.gz of both)", file, ErrMissing, MetadataFile)
	}
	for src, name := range map[string]string{file: DBFile, meta: MetadataFile} {
		if err := copyFile(src, filepath.Join(stage, name)); err != nil {
			return fmt.Errorf("copying %q: %w", src, err)
		}
	}
	return nil
}

// untar extracts trivy.db and metadata.json from a tar stream into stage,
// ignoring every other entry and any directory part of the entry names.
func untar(r io.Reader, stage string) error {
	tr := tar.NewReader(r)
	found := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Base(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || (name != DBFile && name != MetadataFile) {
			continue
		}
		if err := writeFile(filepath.Join(stage, name), io.LimitReader(tr, maxDBSize)); err != nil {
			return err
		}
		found++
	}
	if found == 0 {
		return fmt.Errorf("%w: the archive holds neither %s nor %s", ErrMissing, DBFile, MetadataFile)
	}
	return nil
}

func copyFile(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeFile(dst, f)
}

func writeFile(dst string, r io.Reader) error {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
