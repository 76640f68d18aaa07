package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/paved-dev/paved/pipelines/redact"
)

// ErrConflict is wrapped when a merge or revert finds a file changed on
// both sides.
var ErrConflict = errors.New("conflicting changes")

// Write commits, on top of parents (the first one gives the starting
// tree), the files in changes (path → contents; nil deletes the path), and
// returns the new commit. It writes objects only, no work tree.
func (r *Repo) Write(parents []plumbing.Hash, changes map[string][]byte, msg string, sig Signature) (plumbing.Hash, error) {
	first, err := r.Commit(parents[0])
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tree, err := first.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	th, err := r.writeTree(tree, changes)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("writing the tree of a commit in %s: %w", redact.URL(r.URL), err)
	}
	s := sig.sig()
	c := &object.Commit{Author: *s, Committer: *s, Message: msg, TreeHash: th, ParentHashes: parents}
	obj := r.repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.repo.Storer.SetEncodedObject(obj)
}

// writeTree writes tree (nil: empty) with changes (paths relative to it).
func (r *Repo) writeTree(tree *object.Tree, changes map[string][]byte) (plumbing.Hash, error) {
	files, dirs := map[string][]byte{}, map[string]map[string][]byte{}
	for p, data := range changes {
		if dir, rest, ok := strings.Cut(p, "/"); ok {
			if dirs[dir] == nil {
				dirs[dir] = map[string][]byte{}
			}
			dirs[dir][rest] = data
			continue
		}
		files[p] = data
	}
	var entries []object.TreeEntry
	seen := map[string]bool{}
	if tree != nil {
		for _, e := range tree.Entries {
			seen[e.Name] = true
			switch data, ok := files[e.Name]; {
			case ok && data == nil:
				continue
			case ok:
				h, err := r.blob(data)
				if err != nil {
					return plumbing.ZeroHash, err
				}
				entries = append(entries, object.TreeEntry{Name: e.Name, Mode: regular(e.Mode), Hash: h})
			case dirs[e.Name] != nil && e.Mode == filemode.Dir:
				sub, err := r.repo.TreeObject(e.Hash)
				if err != nil {
					return plumbing.ZeroHash, err
				}
				h, err := r.writeTree(sub, dirs[e.Name])
				if err != nil {
					return plumbing.ZeroHash, err
				}
				entries = append(entries, object.TreeEntry{Name: e.Name, Mode: filemode.Dir, Hash: h})
			default:
				entries = append(entries, e)
			}
		}
	}
	for name, data := range files {
		if !seen[name] && data != nil {
			h, err := r.blob(data)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
		}
	}
	for name, sub := range dirs {
		if !seen[name] {
			h, err := r.writeTree(nil, sub)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
	}
	// Git orders entries by name, a directory's name with a trailing slash.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	obj := r.repo.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.repo.Storer.SetEncodedObject(obj)
}

func regular(m filemode.FileMode) filemode.FileMode {
	if m == filemode.Executable {
		return m
	}
	return filemode.Regular
}

func (r *Repo) blob(data []byte) (plumbing.Hash, error) {
	obj := r.repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.repo.Storer.SetEncodedObject(obj)
}

// threeWay returns the changes that carry the difference from base to
// theirs onto ours, file by file: a file ours left as base had takes
// theirs; a file ours already changed the same way stays; any other file
// changed on both sides is a conflict naming it.
func (r *Repo) threeWay(base, ours, theirs plumbing.Hash) (map[string][]byte, error) {
	trees := make([]*object.Tree, 3)
	for i, h := range []plumbing.Hash{base, ours, theirs} {
		c, err := r.Commit(h)
		if err != nil {
			return nil, err
		}
		if trees[i], err = c.Tree(); err != nil {
			return nil, err
		}
	}
	diff, err := object.DiffTree(trees[0], trees[2])
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, ch := range diff {
		p := ch.To.Name
		if p == "" {
			p = ch.From.Name
		}
		baseH, oursH, theirsH := entryHash(trees[0], p), entryHash(trees[1], p), entryHash(trees[2], p)
		switch {
		case oursH == theirsH:
			continue
		case oursH != baseH:
			return nil, fmt.Errorf("%w in %s", ErrConflict, p)
		}
		if theirsH.IsZero() {
			out[p] = nil
			continue
		}
		data, err := r.readBlob(theirsH)
		if err != nil {
			return nil, err
		}
		out[p] = data
	}
	return out, nil
}

func entryHash(t *object.Tree, p string) plumbing.Hash {
	e, err := t.FindEntry(p)
	if err != nil {
		return plumbing.ZeroHash
	}
	return e.Hash
}

func (r *Repo) readBlob(h plumbing.Hash) ([]byte, error) {
	b, err := r.repo.BlobObject(h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}
