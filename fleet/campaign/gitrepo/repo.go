// Package gitrepo is the git side of a campaign: an in-memory clone of a
// service repository's base branch (and the campaign's branch, when it
// exists), commits written straight into the object store without a work
// tree, pushes, forward merges and reverts. It also implements
// fleet.Changes for plain git remotes, where the change is the branch.
//
// Clones are full (not shallow) single-branch clones: a bump, a merge and
// a revert are commits on top of the branch's history, and health gates
// ask whether a run's commit descends from the bump.
package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Repo is an in-memory clone of one remote repository.
type Repo struct {
	// URL is the remote; Base the base branch (the remote's HEAD unless
	// asked for another).
	URL  string
	Base string

	repo   *git.Repository
	remote gitremote.Remote
	refs   map[string]plumbing.Hash // remote branch → tip, as listed at clone time
}

// File is one file read from a commit.
type File struct {
	Path string
	Data []byte
}

// Clone clones url's branch base (the remote's HEAD when empty) into
// memory, with the further branches that exist on the remote, in one
// fetch. A missing or unreachable remote is a *gitremote.RemoteError.
func Clone(ctx context.Context, url, base string, auth transport.AuthMethod, branches ...string) (*Repo, error) {
	rem := gitremote.Remote{URL: url, Auth: auth}
	repo, err := rem.Init()
	if err != nil {
		return nil, err
	}
	refs, err := rem.List(ctx, repo)
	if err != nil {
		return nil, err
	}
	r := &Repo{URL: url, Base: base, repo: repo, remote: rem, refs: map[string]plumbing.Hash{}}
	for _, ref := range refs {
		switch {
		case ref.Name().IsBranch():
			r.refs[ref.Name().Short()] = ref.Hash()
		case ref.Name() == plumbing.HEAD && ref.Type() == plumbing.SymbolicReference && base == "":
			r.Base = ref.Target().Short()
		}
	}
	if r.Base == "" {
		return nil, rem.Err("cloning", transport.ErrEmptyRemoteRepository)
	}
	if _, ok := r.refs[r.Base]; !ok {
		return nil, rem.Err("cloning", fmt.Errorf("couldn't find remote ref refs/heads/%s", r.Base))
	}
	var specs []config.RefSpec
	for _, b := range append([]string{r.Base}, branches...) {
		if _, ok := r.refs[b]; ok {
			specs = append(specs, config.RefSpec("+refs/heads/"+b+":refs/remotes/origin/"+b))
		}
	}
	return r, rem.Fetch(ctx, repo, 0, specs...)
}

// Tip returns the tip of the remote branch as cloned, false when the remote
// has no such branch.
func (r *Repo) Tip(branch string) (plumbing.Hash, bool) {
	h, ok := r.refs[branch]
	return h, ok
}

// Commit returns the commit object with hash h.
func (r *Repo) Commit(h plumbing.Hash) (*object.Commit, error) {
	c, err := r.repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s of %s: %w", h, redact.URL(r.URL), err)
	}
	return c, nil
}

// IsAncestor reports whether a is b or one of b's ancestors.
func (r *Repo) IsAncestor(a, b plumbing.Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	ca, err := r.Commit(a)
	if err != nil {
		return false, err
	}
	cb, err := r.Commit(b)
	if err != nil {
		return false, err
	}
	return ca.IsAncestor(cb)
}

// skipDirs hold other projects' files, like fleet/mirror skips them.
var skipDirs = map[string]bool{"node_modules": true, "vendor": true, ".terraform": true}

// Files returns the files of commit h whose path wanted accepts.
func (r *Repo) Files(h plumbing.Hash, wanted func(string) bool) ([]File, error) {
	c, err := r.Commit(h)
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s in %s: %w", h, redact.URL(r.URL), err)
	}
	var files []File
	err = tree.Files().ForEach(func(f *object.File) error {
		for _, seg := range strings.Split(path.Dir(f.Name), "/") {
			if skipDirs[seg] {
				return nil
			}
		}
		if !f.Mode.IsFile() || !wanted(f.Name) {
			return nil
		}
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		data, err := io.ReadAll(rd)
		files = append(files, File{Path: f.Name, Data: data})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading files of %s in %s: %w", h, redact.URL(r.URL), err)
	}
	return files, nil
}

// Push sets the remote branch to h; the remote refuses anything but a
// fast-forward (a *gitremote.RemoteError wrapping gitremote.ErrRejected).
func (r *Repo) Push(ctx context.Context, branch string, h plumbing.Hash) error {
	err := r.remote.Push(ctx, r.repo, config.RefSpec(h.String()+":refs/heads/"+branch))
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return err
	}
	r.refs[branch] = h
	return nil
}

// Delete deletes the remote branch; a branch already gone is not an error.
func (r *Repo) Delete(ctx context.Context, branch string) error {
	if _, ok := r.refs[branch]; !ok {
		return nil
	}
	err := r.remote.Push(ctx, r.repo, config.RefSpec(":refs/heads/"+branch))
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return err
	}
	delete(r.refs, branch)
	return nil
}

// Signature is the author and committer of the commits paved writes.
type Signature struct {
	Name, Email string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (s Signature) sig() *object.Signature {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return &object.Signature{Name: or(s.Name, "paved"), Email: or(s.Email, "paved@localhost"), When: now()}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ErrNoFile is wrapped by ReadFile's error for a path the commit lacks.
var ErrNoFile = errors.New("no such file")

// ReadFile returns the contents of file p at commit h; an error wrapping
// ErrNoFile when the commit has no such file.
func (r *Repo) ReadFile(h plumbing.Hash, p string) ([]byte, error) {
	c, err := r.Commit(h)
	if err != nil {
		return nil, err
	}
	f, err := c.File(p)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, h, redact.URL(r.URL), ErrNoFile)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, h, redact.URL(r.URL), err)
	}
	s, err := f.Contents()
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, h, redact.URL(r.URL), err)
	}
	return []byte(s), nil
}
