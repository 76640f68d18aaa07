// Package modpath keeps a Go module's path in step with its major version,
// as semantic import versioning requires: v0 and v1 of a module live at
// its base path (github.com/paved-dev/paved), v2 and later at base/vN
// (github.com/paved-dev/paved/v2). Without it 'go install …@v2.0.0' and
// 'go get' refuse the release, and no library user can import it.
//
// Check tells whether a go.mod fits a version; Move computes the edit that
// makes a module tree fit a major version: the module line of go.mod, and
// in every Go file of the module each quoted import path or package path
// (imports, and constants such as the -X variable a release stamps) and
// each "-X PATH/…" linker flag that names the module.
package modpath

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrPath is a module path that does not fit the version being released.
var ErrPath = errors.New("the module path does not fit the major version")

// Base splits a module path into its base and major suffix:
// "x.dev/m/v2" is ("x.dev/m", 2), "x.dev/m" is ("x.dev/m", 0).
func Base(path string) (string, uint64) {
	prefix, suffix, ok := module.SplitPathVersion(path)
	if !ok || suffix == "" {
		return path, 0
	}
	var major uint64
	fmt.Sscanf(strings.TrimPrefix(suffix, "/v"), "%d", &major)
	return prefix, major
}

// ForMajor is the path of major of the module at path: the base for v0 and
// v1, base/vN from v2 on.
func ForMajor(path string, major uint64) string {
	base, _ := Base(path)
	if major < 2 {
		return base
	}
	return fmt.Sprintf("%s/v%d", base, major)
}

// Read returns the module path go.mod's data declares.
func Read(gomod []byte) (string, error) {
	path := modfile.ModulePath(gomod)
	if path == "" {
		return "", errors.New("go.mod declares no module")
	}
	return path, nil
}

// Check returns an ErrPath bad-input error when version (vX.Y.Z) cannot be
// released from a module whose go.mod is gomod, naming the path it needs
// and the command that moves it.
func Check(gomod []byte, version string) error {
	v, err := semver.NewVersion(version)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("parsing version %q: %w", version, err))
	}
	path, err := Read(gomod)
	if err != nil {
		return failure.BadInputErr(err)
	}
	want := ForMajor(path, v.Major())
	if path == want {
		return nil
	}
	return failure.BadInputErr(fmt.Errorf("releasing %s: go.mod's module is %s, %w (%s is released at %s, semantic import versioning): "+
		"run 'paved release module-path v%d', commit, and test a new candidate", version, path, ErrPath, version, want, v.Major()))
}

// Move returns the files under root (the module's directory) to write so
// the module lives at the path of major, by their slash-separated names
// relative to root; nothing when it already does. Directories that are
// another module (their own go.mod), hidden ones and vendor/ are left
// alone.
func Move(root string, major uint64) (map[string][]byte, error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("reading the module's go.mod: %w", err)
	}
	old, err := Read(gomod)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", filepath.Join(root, "go.mod"), err)
	}
	path := ForMajor(old, major)
	files := map[string][]byte{}
	if path == old {
		return files, nil
	}
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", filepath.Join(root, "go.mod"), err)
	}
	if err := f.AddModuleStmt(path); err != nil {
		return nil, fmt.Errorf("moving the module to %q: %w", path, err)
	}
	if files["go.mod"], err = f.Format(); err != nil {
		return nil, fmt.Errorf("formatting go.mod: %w", err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return skipDir(root, p, d)
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if moved := rewrite(data, old, path); !bytes.Equal(moved, data) {
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = moved
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("moving the imports of %s to %s: %w", old, path, err)
	}
	return files, nil
}

// skipDir skips another module, hidden directories and vendor/.
func skipDir(root, p string, d fs.DirEntry) error {
	if p == root {
		return nil
	}
	if name := d.Name(); strings.HasPrefix(name, ".") || name == "vendor" {
		return filepath.SkipDir
	}
	if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
		return filepath.SkipDir
	}
	return nil
}

// rewrite replaces old by path where Go source names the module's
// packages: a quoted path ("old" or "old/pkg", in either quote) and a
// linker flag "-X old/pkg.Var".
func rewrite(data []byte, old, path string) []byte {
	for _, q := range []string{`"`, "`"} {
		data = bytes.ReplaceAll(data, []byte(q+old+q), []byte(q+path+q))
		data = bytes.ReplaceAll(data, []byte(q+old+"/"), []byte(q+path+"/"))
	}
	return bytes.ReplaceAll(data, []byte("-X "+old+"/"), []byte("-X "+path+"/"))
}

// Write writes files (as Move returns them) under root: every file to a
// temporary file beside it first, then each renamed into place, so a
// failed write leaves the tree as it was.
func Write(root string, files map[string][]byte) error {
	tmps := map[string]string{}
	defer func() {
		for _, tmp := range tmps {
			os.Remove(tmp)
		}
	}()
	for name, data := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		mode := os.FileMode(0o644)
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
		tmp := path + ".paved-tmp"
		if err := os.WriteFile(tmp, data, mode); err != nil {
			return fmt.Errorf("writing %q: %w", path, err)
		}
		tmps[path] = tmp
	}
	for path, tmp := range tmps {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("writing %q: %w", path, err)
		}
		delete(tmps, path)
	}
	return nil
}
