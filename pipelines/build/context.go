package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

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

// ErrContextTooLarge is returned (wrapped, as bad input) for a build context
// whose files, after .dockerignore, add up to more than the context limit.
var ErrContextTooLarge = errors.New("build context is over the size limit")

// buildContext is a Dockerfile build context as COPY and ADD see it: the
// files under root that .dockerignore keeps, found by one walk that never
// follows symlinks.
type buildContext struct {
	root     string                 // absolute
	realRoot string                 // root with symlinks resolved
	entries  map[string]fs.FileInfo // slash paths relative to root ("." is root)
	paths    []string               // the keys of entries, sorted
	ignore   *patternmatcher.PatternMatcher
	size     int64 // bytes of regular files
}

// loadContext walks root, leaving out what the Dockerfile's ignore file
// (dockerfile + ".dockerignore", else root/.dockerignore) excludes, and
// refuses a context over limit bytes (limit <= 0: no limit).
func loadContext(root, dockerfile string, limit int64) (*buildContext, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(abs)
	if err != nil || !info.IsDir() {
		return nil, failure.BadInputErr(fmt.Errorf("reading build context %q: not a directory: point at the directory the Dockerfile's COPY paths are relative to", root))
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("resolving build context %q: %w", root, err))
	}
	c := &buildContext{root: abs, realRoot: real, entries: map[string]fs.FileInfo{}}
	if c.ignore, err = readIgnore(abs, dockerfile); err != nil {
		return nil, err
	}
	if err := filepath.WalkDir(real, c.visit); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading build context %q: %w", root, err))
	}
	if limit > 0 && c.size > limit {
		return nil, failure.BadInputErr(fmt.Errorf("build context %q: %w: %s after .dockerignore, limit %s: exclude files in .dockerignore or raise the limit",
			root, ErrContextTooLarge, byteSize(c.size), byteSize(limit)))
	}
	sort.Strings(c.paths)
	return c, nil
}

// visit records one walked path unless .dockerignore excludes it.
func (c *buildContext) visit(p string, d fs.DirEntry, err error) error {
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(c.realRoot, p)
	if err != nil {
		return err
	}
	rel = filepath.ToSlash(rel)
	if rel != "." && c.ignore != nil {
		ignored, err := c.ignore.MatchesOrParentMatches(rel)
		if err != nil {
			return fmt.Errorf("matching %q against .dockerignore: %w", rel, err)
		}
		if ignored {
			// A later "!pattern" may bring back a file below an ignored
			// directory, so only skip the directory when there is none.
			if d.IsDir() && !c.ignore.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
	}
	info, err := d.Info()
	if err != nil {
		return err
	}
	c.entries[rel] = info
	c.paths = append(c.paths, rel)
	if info.Mode().IsRegular() {
		c.size += info.Size()
	}
	return nil
}

// readIgnore reads the ignore file that applies to dockerfile: its own
// "<Dockerfile>.dockerignore" if there is one, else the context's
// .dockerignore. No file means nothing is ignored.
func readIgnore(root, dockerfile string) (*patternmatcher.PatternMatcher, error) {
	for _, name := range []string{dockerfile + ".dockerignore", filepath.Join(root, ".dockerignore")} {
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", name, err))
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", name, err))
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("parsing %q: %w: fix the pattern", name, err))
		}
		return pm, nil
	}
	return nil, nil
}

// source resolves one COPY/ADD source path: it refuses paths that escape
// the context, follows a symlink when it stays inside, and returns the
// resolved path relative to the context. A path .dockerignore excludes is
// reported as such rather than as missing.
func (c *buildContext) source(src string) (string, error) {
	resolved, err := insideDir(c.root, filepath.FromSlash(src))
	if err != nil {
		return "", err
	}
	base := c.root
	if within(c.realRoot, resolved) {
		base = c.realRoot
	}
	rel, err := filepath.Rel(base, resolved)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if _, ok := c.entries[rel]; ok {
		return rel, nil
	}
	if _, err := os.Lstat(resolved); err == nil {
		return "", failure.BadInputErr(fmt.Errorf("source %q is excluded by .dockerignore: remove it from COPY or stop ignoring it", src))
	}
	return "", failure.BadInputErr(fmt.Errorf("source %q: %w in build context %q: check the path", src, fs.ErrNotExist, c.root))
}

// glob returns the context paths that pattern (path.Match syntax, slash
// separated, relative to the context) matches, sorted.
func (c *buildContext) glob(pattern string) ([]string, error) {
	clean := path.Clean(filepath.ToSlash(pattern))
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, failure.BadInputErr(fmt.Errorf("source %q %w %q: keep sources inside it", pattern, ErrEscapesContext, c.root))
	}
	var out []string
	for _, p := range c.paths {
		ok, err := path.Match(clean, p)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("matching source %q: %w", pattern, err))
		}
		if ok && p != "." {
			out = append(out, p)
		}
	}
	return out, nil
}

// under returns the context paths below dir ("." for all), sorted.
func (c *buildContext) under(dir string) []string {
	var out []string
	for _, p := range c.paths {
		if p != "." && (dir == "." || strings.HasPrefix(p, dir+"/")) {
			out = append(out, p)
		}
	}
	return out
}

// byteSize formats n bytes for people (binary units).
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
