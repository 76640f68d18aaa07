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
	"net"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Repo is an in-memory clone of one remote repository.
type Repo struct {
	// URL is the remote; Base the base branch (the remote's HEAD unless
	// asked for another).
	URL  string
	Base string

	repo *git.Repository
	auth transport.AuthMethod
	refs map[string]plumbing.Hash // remote branch → tip, as listed at clone time
}

// File is one file read from a commit.
type File struct {
	Path string
	Data []byte
}

// Clone clones url's branch base (the remote's HEAD when empty) into
// memory, with the further branches that exist on the remote, in one
// fetch. A missing or unreachable remote is a classified error.
func Clone(ctx context.Context, url, base string, auth transport.AuthMethod, branches ...string) (*Repo, error) {
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	rem, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}})
	if err != nil {
		return nil, err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return nil, RemoteErr("cloning", url, err)
	}
	r := &Repo{URL: url, Base: base, repo: repo, auth: auth, refs: map[string]plumbing.Hash{}}
	for _, ref := range refs {
		switch {
		case ref.Name().IsBranch():
			r.refs[ref.Name().Short()] = ref.Hash()
		case ref.Name() == plumbing.HEAD && ref.Type() == plumbing.SymbolicReference && base == "":
			r.Base = ref.Target().Short()
		}
	}
	if r.Base == "" {
		return nil, RemoteErr("cloning", url, transport.ErrEmptyRemoteRepository)
	}
	if _, ok := r.refs[r.Base]; !ok {
		return nil, RemoteErr("cloning", url, fmt.Errorf("couldn't find remote ref refs/heads/%s", r.Base))
	}
	var specs []config.RefSpec
	for _, b := range append([]string{r.Base}, branches...) {
		if _, ok := r.refs[b]; ok {
			specs = append(specs, config.RefSpec("+refs/heads/"+b+":refs/remotes/origin/"+b))
		}
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: specs, Auth: auth, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, RemoteErr("fetching", url, err)
	}
	return r, nil
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

// Push sets the remote branch to h; with force false the remote refuses
// anything but a fast-forward (ErrRejected).
func (r *Repo) Push(ctx context.Context, branch string, h plumbing.Hash) error {
	spec := config.RefSpec(h.String() + ":refs/heads/" + branch)
	err := r.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: r.auth})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		if Rejected(err) {
			return fmt.Errorf("pushing %s to %s: %w", branch, redact.URL(r.URL), ErrRejected)
		}
		return RemoteErr("pushing "+branch+" to", r.URL, err)
	}
	r.refs[branch] = h
	return nil
}

// Delete deletes the remote branch; a branch already gone is not an error.
func (r *Repo) Delete(ctx context.Context, branch string) error {
	if _, ok := r.refs[branch]; !ok {
		return nil
	}
	spec := config.RefSpec(":refs/heads/" + branch)
	err := r.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: r.auth})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return RemoteErr("deleting "+branch+" of", r.URL, err)
	}
	delete(r.refs, branch)
	return nil
}

// ErrRejected is wrapped by Push's error when the remote branch moved.
var ErrRejected = failure.TransientErr(errors.New("the remote branch moved (push rejected): fetch and try again"))

// Rejected reports whether a push failed because the branch moved.
func Rejected(err error) bool {
	if errors.Is(err, git.ErrNonFastForwardUpdate) || errors.Is(err, ErrRejected) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "failed to lock", "reference has changed", "stale info"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// RemoteErr classifies a git remote error (a missing repository or branch
// and refused credentials are bad input, the network is transient) and
// keeps passwords out of its text.
func RemoteErr(doing, repoURL string, err error) error {
	var nerr net.Error
	msg := fmt.Errorf("%s %s: %s", doing, redact.URL(repoURL), strings.ReplaceAll(err.Error(), repoURL, redact.URL(repoURL)))
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed), errors.Is(err, transport.ErrInvalidAuthMethod):
		return failure.BadInputErr(fmt.Errorf("%w: check the git credentials (PAVED_GIT_TOKEN)", msg))
	case errors.Is(err, transport.ErrRepositoryNotFound), errors.Is(err, transport.ErrEmptyRemoteRepository):
		return failure.BadInputErr(fmt.Errorf("%w: check the repository URL (fleet file, --state-repo or --policy-repo)", msg))
	case strings.Contains(err.Error(), "couldn't find remote ref"), errors.Is(err, plumbing.ErrReferenceNotFound):
		return failure.BadInputErr(fmt.Errorf("%w: check the branch", msg))
	case errors.As(err, &nerr), errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "connection refused"):
		return failure.TransientErr(msg)
	}
	return msg
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
