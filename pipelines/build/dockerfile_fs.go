package build

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// node is one path of a stage's file system. Data is nil for a regular
// file of the base image until it is read (rootfs.read).
type node struct {
	File
	// hardlink is a base image hard link's target (an absolute path).
	hardlink string
	// special marks a device, FIFO or socket: listed, never copied.
	special bool
	// inBase marks content that lives in the base image's layers.
	inBase bool
}

// rootfs is the file system of a stage as COPY and WORKDIR need it: the
// base image's flattened layers (headers only, content read on demand)
// plus the files this build added.
type rootfs struct {
	base   v1.Image // nil for scratch
	nodes  map[string]*node
	sorted []string // node paths, sorted; nil when stale
}

func newRootfs(base v1.Image) *rootfs { return &rootfs{base: base} }

// clone returns a copy that can change without changing r (FROM <stage>).
func (r *rootfs) clone() *rootfs {
	c := &rootfs{base: r.base}
	if r.nodes != nil {
		c.nodes = make(map[string]*node, len(r.nodes))
		for p, n := range r.nodes {
			c.nodes[p] = n
		}
	}
	return c
}

// load reads the base image's file headers once.
func (r *rootfs) load() error {
	if r.nodes != nil {
		return nil
	}
	r.nodes = map[string]*node{"/": {File: File{Path: "/", Dir: true, Mode: 0o755}}}
	if r.base == nil {
		return nil
	}
	return r.walkBase(func(hdr *tar.Header, _ io.Reader) error {
		p := "/" + strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		n := &node{File: File{Path: p, Mode: fileMode(hdr.Mode), UID: hdr.Uid, GID: hdr.Gid}, inBase: true}
		switch hdr.Typeflag {
		case tar.TypeDir:
			n.Dir = true
		case tar.TypeSymlink:
			n.Link = hdr.Linkname
		case tar.TypeLink:
			n.hardlink = path.Clean("/" + hdr.Linkname)
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives still use TypeRegA
		default:
			n.special = true
		}
		r.nodes[p] = n
		return nil
	})
}

// walkBase streams the base image's flattened file system.
func (r *rootfs) walkBase(fn func(*tar.Header, io.Reader) error) error {
	rc := mutate.Extract(r.base)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading base image layers: %w", err)
		}
		if err := fn(hdr, tr); err != nil {
			return err
		}
	}
}

// read fills in the content of the base image files among ns, in one pass.
func (r *rootfs) read(ns []*node) error {
	want := map[string][]*node{}
	for _, n := range ns {
		src := n.Path
		if n.hardlink != "" {
			src = n.hardlink
		}
		if n.inBase && n.Data == nil && !n.Dir && n.Link == "" && !n.special {
			want[src] = append(want[src], n)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return r.walkBase(func(hdr *tar.Header, rd io.Reader) error {
		ws := want[path.Clean("/"+hdr.Name)]
		if len(ws) == 0 || (hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA) { //nolint:staticcheck // see load
			return nil
		}
		data, err := io.ReadAll(rd)
		if err != nil {
			return fmt.Errorf("reading %q from the base image: %w", hdr.Name, err)
		}
		for _, n := range ws {
			// Nodes are shared by cloned file systems; the content is the
			// same for all of them.
			n.Data = data
		}
		return nil
	})
}

// get returns the node at p (absolute, clean), or nil.
func (r *rootfs) get(p string) *node { return r.nodes[p] }

// put records files a layer added.
func (r *rootfs) put(files []File) {
	for _, f := range files {
		r.nodes[f.Path] = &node{File: f}
	}
	r.sorted = nil
}

// paths returns every path, sorted.
func (r *rootfs) paths() []string {
	if r.sorted == nil {
		r.sorted = make([]string, 0, len(r.nodes))
		for p := range r.nodes {
			r.sorted = append(r.sorted, p)
		}
		sort.Strings(r.sorted)
	}
	return r.sorted
}

// under returns the nodes below dir, sorted by path.
func (r *rootfs) under(dir string) []*node {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []*node
	for _, p := range r.paths() {
		if strings.HasPrefix(p, prefix) {
			out = append(out, r.nodes[p])
		}
	}
	return out
}

// resolve follows symlinks in p inside this file system, as a container
// would see them: an absolute link target starts again at the root, and
// ".." never leaves it. The last element is followed only if followLast.
func (r *rootfs) resolve(p string, followLast bool) string {
	parts := strings.Split(p, "/")
	cur := "/"
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		n := r.nodes[next]
		if n == nil || n.Link == "" || (len(parts) == 0 && !followLast) || hops > 40 {
			cur = next
			continue
		}
		hops++
		if path.IsAbs(n.Link) {
			cur = "/"
		}
		parts = append(strings.Split(n.Link, "/"), parts...)
	}
	return cur
}

// fileMode turns a tar header mode into an fs.FileMode, keeping the
// setuid, setgid and sticky bits.
func fileMode(mode int64) fs.FileMode {
	m := fs.FileMode(mode).Perm()
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
