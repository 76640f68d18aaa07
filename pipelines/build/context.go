package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrEscapesContext is returned (wrapped, as bad input) for a source path
// that leaves the build context: "../", an absolute path, or a symlink
// pointing outside.
var ErrEscapesContext = errors.New("escapes the build context")

// insideDir resolves rel against root and refuses a path that ends outside
// root, lexically or through symlinks. It returns the resolved path; a path
// that does not exist is returned as is, for the caller's read to report.
func insideDir(root, rel string) (string, error) {
	escape := func() error {
		return failure.BadInputErr(fmt.Errorf("source %q %w %q: keep sources inside it", rel, ErrEscapesContext, root))
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", escape()
	}
	rootAbs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	joined := filepath.Join(rootAbs, rel)
	if !within(rootAbs, joined) {
		return "", escape()
	}
	real, err := filepath.EvalSymlinks(joined)
	if errors.Is(err, os.ErrNotExist) {
		return joined, nil
	}
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("resolving source %q: %w", rel, err))
	}
	realRoot, err := filepath.EvalSymlinks(rootAbs)
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("resolving build context %q: %w", root, err))
	}
	if !within(realRoot, real) {
		return "", escape()
	}
	return real, nil
}

// within reports whether path is root or below it (both absolute, clean).
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
