package deploy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// fileChange is one file's contents before and after an edit.
type fileChange struct {
	Path     string
	Old, New []byte
}

// changes collects edited files by path, in a stable order.
type changes map[string]*fileChange

func (c changes) sorted() []*fileChange {
	out := make([]*fileChange, 0, len(c))
	for _, f := range c {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// record adds a patched file to the change set.
func (c changes) record(f *yamlpatch.File, old []byte) error {
	out, err := f.Bytes()
	if err != nil {
		return err
	}
	if string(out) != string(old) {
		c[f.Name()] = &fileChange{Path: f.Name(), Old: old, New: out}
	}
	return nil
}

// parseFile reads and parses a YAML file of the repository.
func parseFile(fsys billy.Filesystem, p string) (*yamlpatch.File, error) {
	data, err := readFile(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: no such file: the layout in %s does not match the repository", p, ConfigFile))
	}
	if err != nil {
		return nil, err
	}
	return yamlpatch.Parse(p, data)
}

// readFile reads a file of the repository; a symbolic link on the way is
// refused (see noLink).
func readFile(fsys billy.Filesystem, p string) ([]byte, error) {
	if err := noLink(fsys, p); err != nil {
		return nil, err
	}
	f, err := fsys.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return data, nil
}

// writeFile replaces the contents of p, keeping its mode when it exists.
func writeFile(fsys billy.Filesystem, p string, data []byte) error {
	if err := noLink(fsys, p); err != nil {
		return err
	}
	if err := fsys.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := fsys.Create(p)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// noLink refuses p when it, or a directory on the way to it, is a symbolic
// link: git would commit the link unchanged while the edit went to what it
// points to, so the diff shown would not be what is deployed.
func noLink(fsys billy.Filesystem, p string) error {
	parts := strings.Split(path.Clean(p), "/")
	for i := range parts {
		q := path.Join(parts[:i+1]...)
		fi, err := fsys.Lstat(q)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", q, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return failure.BadInputErr(fmt.Errorf("reading %s: %s is a symbolic link: paved edits the GitOps repository's own files, not links: replace the link with what it points to", p, q))
		}
	}
	return nil
}

// yamlFiles returns the listed files in dir, or every YAML file there.
func yamlFiles(fsys billy.Filesystem, dir string, listed []string) ([]string, error) {
	if len(listed) > 0 {
		out := make([]string, len(listed))
		for i, f := range listed {
			out[i] = path.Join(dir, f)
		}
		return out, nil
	}
	if err := noLink(fsys, dir); err != nil {
		return nil, err
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading directory %s: %w: the layout in %s does not match the repository", dir, err, ConfigFile))
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}
