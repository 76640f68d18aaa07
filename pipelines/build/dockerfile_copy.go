package build

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/cache"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"

	"github.com/paved-dev/paved/pipelines/failure"
)

// item is one COPY or ADD source: a file, or a directory whose contents
// are copied (Docker never copies the directory itself).
type item struct {
	name  string // the source's base name as written
	dir   bool
	self  File   // the source's own entry
	files []File // a directory's contents, Path relative to it
	owned bool   // entries keep their owner (other stages, images, archives)
}

// copy executes COPY from the context, an earlier stage or an image.
func (e *executor) copy(s *stageState, c *instructions.CopyCommand) (v1.Layer, error) {
	var items []item
	var err error
	if c.From == "" {
		items, err = e.contextItems(c.SourcePaths)
	} else {
		items, err = e.fromItems(s, c)
	}
	if err != nil {
		return nil, err
	}
	items = append(items, heredocItems(c.SourceContents)...)
	return e.place(s, c.DestPath, items, c.Chown, c.Chmod, c.ExcludePatterns)
}

// add executes ADD of local files; a local tar archive (plain, gzip,
// bzip2, xz or zstd) is unpacked into the destination unless --unpack=false.
func (e *executor) add(s *stageState, c *instructions.AddCommand) (v1.Layer, error) {
	for _, src := range c.SourcePaths {
		if err := checkAddSource(src); err != nil {
			return nil, failure.BadInputErr(err)
		}
	}
	items, err := e.contextItems(c.SourcePaths)
	if err != nil {
		return nil, err
	}
	if c.Unpack == nil || *c.Unpack {
		for i, it := range items {
			if it.dir || it.self.Link != "" {
				continue
			}
			files, ok, err := archiveFiles(it.self.Data, e.o.ContextLimit)
			if err != nil {
				return nil, failure.BadInputErr(fmt.Errorf("unpacking %q: %w", it.name, err))
			}
			if ok {
				items[i] = item{name: it.name, dir: true, self: File{Dir: true, Mode: 0o755}, files: files, owned: true}
			}
		}
	}
	items = append(items, heredocItems(c.SourceContents)...)
	return e.place(s, c.DestPath, items, c.Chown, c.Chmod, c.ExcludePatterns)
}

// contextItems reads sources from the build context; a wildcard source
// stands for every context path it matches.
func (e *executor) contextItems(srcs []string) ([]item, error) {
	var items []item
	for _, src := range srcs {
		matches := []string{src}
		if hasWildcard(src) {
			var err error
			if matches, err = e.bctx.glob(src); err != nil {
				return nil, err
			}
		}
		for _, m := range matches {
			rel, err := e.bctx.source(m)
			if err != nil {
				return nil, err
			}
			it, err := e.bctx.item(rel, path.Base(m))
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// fromItems reads sources from an earlier stage's or an image's files.
func (e *executor) fromItems(s *stageState, c *instructions.CopyCommand) ([]item, error) {
	sp, ref, err := e.pl.copyFrom(s.plan, c)
	if err != nil {
		return nil, err
	}
	var fsys *rootfs
	if sp != nil {
		fsys = e.done[sp.index].fs
	} else if fsys = e.images[ref]; fsys == nil {
		img, err := e.r.image(e.ctx, ref, e.pl.platform)
		if err != nil {
			return nil, err
		}
		fsys = newRootfs(cache.Image(img, e.cache))
		e.images[ref] = fsys
	}
	if err := fsys.load(); err != nil {
		return nil, err
	}
	var items []item
	for _, src := range c.SourcePaths {
		matches := []string{path.Clean("/" + src)}
		if hasWildcard(src) {
			if matches, err = fsys.glob(matches[0]); err != nil {
				return nil, err
			}
		}
		for _, m := range matches {
			n := fsys.get(fsys.resolve(m, true))
			if n == nil {
				return nil, failure.BadInputErr(fmt.Errorf("COPY --from=%s: %q not found there: check the path", c.From, src))
			}
			it, err := fsys.item(n, path.Base(m))
			if err != nil {
				return nil, err
			}
			items = append(items, it)
		}
	}
	return items, nil
}

// glob returns the paths pattern (absolute, path.Match syntax) matches.
func (r *rootfs) glob(pattern string) ([]string, error) {
	var out []string
	for _, p := range r.paths() {
		ok, err := path.Match(pattern, p)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("matching source %q: %w", pattern, err))
		}
		if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// item copies n (and, for a directory, everything below it) with content.
func (r *rootfs) item(n *node, name string) (item, error) {
	if !n.Dir {
		if err := r.read([]*node{n}); err != nil {
			return item{}, err
		}
		return item{name: name, self: n.File, owned: true}, nil
	}
	below := r.under(n.Path)
	if err := r.read(below); err != nil {
		return item{}, err
	}
	it := item{name: name, dir: true, self: n.File, owned: true}
	for _, c := range below {
		if c.special {
			continue
		}
		f := c.File
		f.Path = strings.TrimPrefix(c.Path, strings.TrimSuffix(n.Path, "/")+"/")
		it.files = append(it.files, f)
	}
	return it, nil
}

// item reads the context path rel (a file, or a directory and everything
// below it). Files from the context belong to root, as in Docker.
func (c *buildContext) item(rel, name string) (item, error) {
	info := c.entries[rel]
	self, _, err := c.file(rel, info)
	if err != nil || !info.IsDir() {
		return item{name: name, self: self}, err
	}
	it := item{name: name, dir: true, self: self}
	for _, p := range c.under(rel) {
		f, ok, err := c.file(p, c.entries[p])
		if err != nil {
			return item{}, err
		}
		if !ok {
			continue
		}
		f.Path = p
		if rel != "." {
			f.Path = strings.TrimPrefix(p, rel+"/")
		}
		it.files = append(it.files, f)
	}
	return it, nil
}

// file reads one context entry; ok is false for sockets, pipes and devices,
// which are not copied.
func (c *buildContext) file(rel string, info fs.FileInfo) (File, bool, error) {
	full := filepath.Join(c.realRoot, filepath.FromSlash(rel))
	mode := info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	switch {
	case info.IsDir():
		return File{Dir: true, Mode: mode}, true, nil
	case info.Mode()&fs.ModeSymlink != 0:
		link, err := os.Readlink(full)
		if err != nil {
			return File{}, false, failure.BadInputErr(fmt.Errorf("reading %q: %w", rel, err))
		}
		return File{Link: link, Mode: 0o777}, true, nil
	case info.Mode().IsRegular():
		data, err := os.ReadFile(full)
		if err != nil {
			return File{}, false, failure.BadInputErr(fmt.Errorf("reading %q: %w", rel, err))
		}
		return File{Data: data, Mode: mode}, true, nil
	}
	return File{}, false, nil
}

// heredocItems are the inline files of COPY <<EOF.
func heredocItems(contents []instructions.SourceContent) []item {
	var items []item
	for _, sc := range contents {
		items = append(items, item{name: sc.Path, self: File{Data: []byte(sc.Data), Mode: 0o644}})
	}
	return items
}

// place writes items to dest with Docker's rules and makes the layer: a
// directory's contents go into dest; a file goes to dest, or into it when
// dest ends in "/", is an existing directory or gets several sources.
func (e *executor) place(s *stageState, dest string, items []item, chown, chmod string, excludes []string) (v1.Layer, error) {
	if err := s.fs.load(); err != nil {
		return nil, err
	}
	own := owner{}
	if chown != "" {
		var err error
		if own, err = e.owner(s, chown); err != nil {
			return nil, err
		}
	}
	mode, err := parseChmod(chmod)
	if err != nil {
		return nil, err
	}
	excluded, err := excluder(excludes)
	if err != nil {
		return nil, err
	}
	abs := dest
	if !path.IsAbs(abs) {
		abs = path.Join("/", s.cfg.WorkingDir, dest)
	}
	target := s.fs.resolve(path.Clean(abs), true)
	asDir := strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.") || dest == "." || len(items) > 1 || target == "/"
	if n := s.fs.get(target); n != nil && n.Dir {
		asDir = true
	}
	out := map[string]File{}
	put := func(p string, f File, owned bool) {
		f.Path = s.fs.resolve(p, false)
		if own.set || !owned {
			f.UID, f.GID = own.uid, own.gid
		}
		if mode != nil && f.Link == "" {
			f.Mode = *mode
		}
		out[f.Path] = f
	}
	for _, it := range items {
		if !it.dir {
			dst := target
			if asDir {
				dst = path.Join(target, it.name)
			}
			if !excluded(it.name) {
				put(dst, it.self, it.owned)
			}
			continue
		}
		if n := s.fs.get(target); target != "/" && (n == nil || !n.Dir) {
			put(target, it.self, it.owned)
		}
		for _, f := range it.files {
			if !excluded(f.Path) {
				put(path.Join(target, f.Path), f, it.owned)
			}
		}
	}
	files := make([]File, 0, len(out))
	for _, f := range out {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if files, err = withParents(s.fs, files, own); err != nil {
		return nil, err
	}
	return e.layer(s, files)
}

// withParents adds the parent directories of files: existing ones as they
// are in fsys (so /tmp keeps 1777), missing ones as 0755 owned by own.
func withParents(fsys *rootfs, files []File, own owner) ([]File, error) {
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	out := files
	for _, f := range files {
		for dir := path.Dir(f.Path); dir != "/" && !have[dir]; dir = path.Dir(dir) {
			have[dir] = true
			n := fsys.get(dir)
			if n == nil {
				out = append(out, File{Path: dir, Dir: true, Mode: 0o755, UID: own.uid, GID: own.gid})
				continue
			}
			if !n.Dir {
				return nil, failure.BadInputErr(fmt.Errorf("cannot copy to %q: %q is not a directory in the image", f.Path, dir))
			}
			out = append(out, File{Path: dir, Dir: true, Mode: n.Mode, UID: n.UID, GID: n.GID})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// parseChmod parses --chmod: an octal mode up to 07777.
func parseChmod(s string) (*fs.FileMode, error) {
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return nil, failure.BadInputErr(fmt.Errorf("--chmod=%s: not an octal mode: write one such as 0755", s))
	}
	m := fileMode(int64(n))
	return &m, nil
}

// excluder matches --exclude patterns against source-relative paths.
func excluder(patterns []string) (func(string) bool, error) {
	if len(patterns) == 0 {
		return func(string) bool { return false }, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("--exclude %v: %w", patterns, err))
	}
	return func(p string) bool {
		ok, _ := pm.MatchesOrParentMatches(p)
		return ok
	}, nil
}

func hasWildcard(p string) bool { return strings.ContainsAny(p, "*?[") }
