package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
)

// ChangelogFile is the changelog publish releases, at the repository root.
const ChangelogFile = "CHANGELOG.md"

// maxDirtyNamed is how many dirty files a refusal names.
const maxDirtyNamed = 5

// repo is the git repository being released.
type repo struct {
	git  *git.Repository
	wt   *git.Worktree
	root string
}

func openRepo(dir string) (*repo, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("opening git repository %q: %w: publish runs in paved's repository", dir, err))
	}
	wt, err := r.Worktree()
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("opening work tree of %q: %w", dir, err))
	}
	return &repo{git: r, wt: wt, root: wt.Filesystem.Root()}, nil
}

// checkFullHistory refuses a shallow clone: without the full history and
// the tags, the previous release cannot be found and every run would look
// like a first release.
func (r *repo) checkFullHistory() error {
	shallow, err := r.git.Storer.Shallow()
	if err != nil {
		return fmt.Errorf("reading the shallow commits of %q: %w", r.root, err)
	}
	if len(shallow) > 0 {
		return failure.BadInputErr(fmt.Errorf("the repository %q is a shallow clone: fetch the full history and tags (git fetch --unshallow --tags), the previous release is found in it", r.root))
	}
	return nil
}

// fileSHA256 returns the sha256 (hex) of path in commit's tree.
func fileSHA256(c *object.Commit, path string) (string, error) {
	f, err := c.File(path)
	if errors.Is(err, object.ErrFileNotFound) {
		return "", failure.BadInputErr(fmt.Errorf("reading %s at HEAD: it is not committed: publish releases what the candidate ran with", path))
	}
	if err != nil {
		return "", fmt.Errorf("reading %s at HEAD: %w", path, err)
	}
	rd, err := f.Reader()
	if err != nil {
		return "", fmt.Errorf("reading %s at HEAD: %w", path, err)
	}
	defer rd.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rd); err != nil {
		return "", fmt.Errorf("reading %s at HEAD: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkNoRemoteTag refuses a tag that the remote already has, before
// anything is built; a remote that cannot be listed is transient.
func (r *repo) checkNoRemoteTag(remote, tag string) error {
	rem, err := r.git.Remote(remote)
	if errors.Is(err, git.ErrRemoteNotFound) {
		return failure.BadInputErr(fmt.Errorf("reading git remote %q: it does not exist: add it or pick another (git remote -v)", remote))
	}
	if err != nil {
		return fmt.Errorf("reading git remote %q: %w", remote, err)
	}
	refs, err := rem.List(&git.ListOptions{})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil
	}
	if err != nil {
		return failure.TransientErr(fmt.Errorf("listing the refs of git remote %q: %w", remote, err))
	}
	want := plumbing.NewTagReferenceName(tag)
	for _, ref := range refs {
		if ref.Name() == want {
			return failure.BadInputErr(fmt.Errorf("tag %s already exists on remote %q (at %s): a version is released once; fetch its tags (git fetch --tags %s) and release the next one", tag, remote, short(ref.Hash().String()), remote))
		}
	}
	return nil
}

// checkClean refuses a work tree with changed, staged or untracked files
// (ignored files do not count), naming the first few.
func (r *repo) checkClean() error {
	st, err := r.wt.Status()
	if err != nil {
		return fmt.Errorf("reading status of %q: %w", r.root, err)
	}
	var dirty []string
	for file, s := range st {
		if s.Staging != git.Unmodified || s.Worktree != git.Unmodified {
			dirty = append(dirty, file)
		}
	}
	if len(dirty) == 0 {
		return nil
	}
	slices.Sort(dirty)
	named := dirty
	if len(named) > maxDirtyNamed {
		named = append(slices.Clone(dirty[:maxDirtyNamed]), fmt.Sprintf("and %d more", len(dirty)-maxDirtyNamed))
	}
	return failure.BadInputErr(fmt.Errorf("the work tree %q is not clean (%s): commit or remove the changes, a release is built from HEAD alone",
		r.root, strings.Join(named, ", ")))
}

// head returns HEAD's commit and the branch it is on.
func (r *repo) head() (*object.Commit, plumbing.ReferenceName, error) {
	ref, err := r.git.Head()
	if err != nil {
		return nil, "", failure.BadInputErr(fmt.Errorf("reading HEAD of %q: %w", r.root, err))
	}
	if !ref.Name().IsBranch() {
		return nil, "", failure.BadInputErr(fmt.Errorf("HEAD of %q is detached at %s: check out the branch to release", r.root, short(ref.Hash().String())))
	}
	c, err := r.git.CommitObject(ref.Hash())
	if err != nil {
		return nil, "", fmt.Errorf("reading HEAD commit %s: %w", ref.Hash(), err)
	}
	return c, ref.Name(), nil
}

// previous returns the highest release tag (vX.Y.Z, no pre-release, no
// build metadata: as the candidate finds its baseline) in
// head's history, or nil when there is none. Tags on other branches are not
// releases of this line; one that has the next version is refused later as
// an existing tag.
func (r *repo) previous(head *object.Commit) (*semver.Version, error) {
	tags, err := r.git.Tags()
	if err != nil {
		return nil, fmt.Errorf("listing tags of %q: %w", r.root, err)
	}
	type release struct {
		v      *semver.Version
		commit plumbing.Hash
	}
	var releases []release
	err = tags.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().Short()
		v, err := semver.StrictNewVersion(strings.TrimPrefix(name, "v"))
		if !strings.HasPrefix(name, "v") || err != nil || v.Prerelease() != "" || v.Metadata() != "" {
			return nil
		}
		c, err := r.peel(ref)
		if err != nil {
			return err
		}
		releases = append(releases, release{v, c})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(releases, func(a, b release) int { return b.v.Compare(a.v) })
	for _, rel := range releases {
		if rel.commit == head.Hash {
			return rel.v, nil
		}
		c, err := r.git.CommitObject(rel.commit)
		if err != nil {
			continue // a tag of a tree or blob is no release
		}
		if ok, err := c.IsAncestor(head); err != nil {
			return nil, fmt.Errorf("checking whether tag v%s is in HEAD's history: %w", rel.v, err)
		} else if ok {
			return rel.v, nil
		}
	}
	return nil, nil
}

// peel returns the object a tag reference names, through an annotated tag.
func (r *repo) peel(ref *plumbing.Reference) (plumbing.Hash, error) {
	tag, err := r.git.TagObject(ref.Hash())
	switch {
	case err == nil:
		return tag.Target, nil
	case errors.Is(err, plumbing.ErrObjectNotFound):
		return ref.Hash(), nil
	}
	return plumbing.ZeroHash, fmt.Errorf("reading tag %s: %w", ref.Name().Short(), err)
}

// checkNoTag refuses a tag that already exists, naming the branches it is
// on when it is not in HEAD's history.
func (r *repo) checkNoTag(tag string) error {
	ref, err := r.git.Reference(plumbing.NewTagReferenceName(tag), false)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("reading tag %s: %w", tag, err)
	}
	target, err := r.peel(ref)
	if err != nil {
		return err
	}
	where := ""
	if branches := r.branchesWith(target); len(branches) > 0 {
		where = fmt.Sprintf(", on branch %s", strings.Join(branches, ", "))
	}
	return failure.BadInputErr(fmt.Errorf("tag %s already exists (at %s%s): a version is released once; release from the branch that has it, or add change notes here and release the next one",
		tag, short(target.String()), where))
}

// branchesWith returns the local branches whose history has commit.
func (r *repo) branchesWith(commit plumbing.Hash) []string {
	c, err := r.git.CommitObject(commit)
	if err != nil {
		return nil
	}
	iter, err := r.git.Branches()
	if err != nil {
		return nil
	}
	var out []string
	_ = iter.ForEach(func(b *plumbing.Reference) error {
		if b.Hash() == commit {
			out = append(out, b.Name().Short())
			return nil
		}
		if tip, err := r.git.CommitObject(b.Hash()); err == nil {
			if ok, err := c.IsAncestor(tip); err == nil && ok {
				out = append(out, b.Name().Short())
			}
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// releasedAt returns the release tag at head when head is its release
// commit ("chore(release): vX.Y.Z"), "" otherwise.
func (r *repo) releasedAt(head *object.Commit) (string, error) {
	tags, err := r.git.Tags()
	if err != nil {
		return "", fmt.Errorf("listing tags of %q: %w", r.root, err)
	}
	found := ""
	err = tags.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().Short()
		if head.Message != releaseMessage(name) && strings.TrimSpace(head.Message) != releaseMessage(name) {
			return nil
		}
		target, err := r.peel(ref)
		if err != nil {
			return err
		}
		if target == head.Hash {
			found = name
		}
		return nil
	})
	return found, err
}

// releaseMessage is the message of the commit that releases version.
func releaseMessage(version string) string { return "chore(release): " + version }

// identity is who commits and tags: user.name and user.email from git's
// configuration (repository, then global, then system).
func (r *repo) identity(now time.Time) (*object.Signature, error) {
	cfg, err := r.git.ConfigScoped(config.SystemScope)
	if err != nil {
		return nil, fmt.Errorf("reading git configuration of %q: %w", r.root, err)
	}
	if cfg.User.Name == "" || cfg.User.Email == "" {
		return nil, failure.BadInputErr(errors.New("no git identity to commit and tag the release with: set git config user.name and user.email"))
	}
	return &object.Signature{Name: cfg.User.Name, Email: cfg.User.Email, When: now}, nil
}

// commitAndTag checks again that the tree is clean and HEAD is parent,
// writes files (contents by slash-separated path relative to the root: the
// released changelog, the wrappers' pins), commits them with message on
// parent, creates the annotated tag at that commit and then runs then (nil
// for nothing). On any failure the work tree, the index, the branch and the
// tags are left as they were.
func (r *repo) commitAndTag(parent plumbing.Hash, files map[string][]byte, message, tag, tagMessage string, who *object.Signature, then func() error) (plumbing.Hash, error) {
	// The checks ran minutes ago, before the build: check again that the
	// tree is clean and HEAD is what was built, right before writing.
	if err := r.checkClean(); err != nil {
		return plumbing.ZeroHash, err
	}
	headRef, err := r.git.Head()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading HEAD: %w", err)
	}
	if headRef.Hash() != parent {
		return plumbing.ZeroHash, failure.BadInputErr(fmt.Errorf("HEAD moved to %s while the release of %s was built: nothing was committed or tagged; run paved release candidate again at the new HEAD",
			short(headRef.Hash().String()), short(parent.String())))
	}
	old := map[string][]byte{}
	for name := range files {
		data, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(name)))
		if err != nil {
			return plumbing.ZeroHash, failure.BadInputErr(fmt.Errorf("reading %q: %w", name, err))
		}
		old[name] = data
	}
	commit, err := r.commit(files, message, who, parent)
	if err != nil {
		return plumbing.ZeroHash, r.undo(err, old, headRef, "")
	}
	if _, err := r.git.CreateTag(tag, commit, &git.CreateTagOptions{Tagger: who, Message: tagMessage}); err != nil {
		return plumbing.ZeroHash, r.undo(fmt.Errorf("creating tag %s at %s: %w", tag, short(commit.String()), err), old, headRef, tag)
	}
	if then != nil {
		if err := then(); err != nil {
			return plumbing.ZeroHash, r.undo(err, old, headRef, tag)
		}
	}
	return commit, nil
}

func (r *repo) commit(files map[string][]byte, message string, who *object.Signature, parent plumbing.Hash) (plumbing.Hash, error) {
	for _, name := range sortedNames(files) {
		if err := os.WriteFile(filepath.Join(r.root, filepath.FromSlash(name)), files[name], 0o644); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("writing %q: %w", name, err)
		}
		if _, err := r.wt.Add(name); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("staging %s: %w", name, err)
		}
	}
	h, err := r.wt.Commit(message, &git.CommitOptions{Author: who, Committer: who, Parents: []plumbing.Hash{parent}})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing the release: %w", err)
	}
	return h, nil
}

// undo puts the branch back at headRef, every file in old and its index
// entry back, and deletes tag if it was created; cause is returned, with
// what could not be undone.
func (r *repo) undo(cause error, old map[string][]byte, headRef *plumbing.Reference, tag string) error {
	var errs []error
	if tag != "" {
		if err := r.git.DeleteTag(tag); err != nil && !errors.Is(err, git.ErrTagNotFound) {
			errs = append(errs, fmt.Errorf("deleting tag %s: %w", tag, err))
		}
	}
	if err := r.git.Storer.SetReference(headRef); err != nil {
		errs = append(errs, fmt.Errorf("moving %s back to %s: %w", headRef.Name().Short(), short(headRef.Hash().String()), err))
	}
	for _, name := range sortedNames(old) {
		if err := os.WriteFile(filepath.Join(r.root, filepath.FromSlash(name)), old[name], 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restoring %q: %w", name, err))
		} else if _, err := r.wt.Add(name); err != nil {
			errs = append(errs, fmt.Errorf("restoring the index entry of %s: %w", name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w; undoing it failed too, fix the repository by hand: %w", cause, errors.Join(errs...))
	}
	return cause
}

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// push pushes the branch and the tag to remote in one atomic push.
func (r *repo) push(remote string, branch plumbing.ReferenceName, tag string) error {
	tagRef := plumbing.NewTagReferenceName(tag)
	err := r.git.Push(&git.PushOptions{
		RemoteName: remote,
		RefSpecs: []config.RefSpec{
			config.RefSpec(branch.String() + ":" + branch.String()),
			config.RefSpec(tagRef.String() + ":" + tagRef.String()),
		},
		Atomic: true,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		if gitremote.Rejected(err) {
			return failure.BadInputErr(fmt.Errorf("pushing %s and %s to %q: %w: the remote has commits this branch lacks, so the release (committed and tagged here only) is on a stale HEAD; drop it (git tag -d %s && git reset --keep HEAD~1), pull, and release again",
				branch.Short(), tag, remote, err, tag))
		}
		e := fmt.Errorf("pushing %s and %s to %q: %w: the release is committed and tagged here; push it with git push --atomic %s %s %s",
			branch.Short(), tag, remote, err, remote, branch.Short(), tag)
		if errors.Is(err, git.ErrRemoteNotFound) {
			return failure.BadInputErr(e)
		}
		return failure.TransientErr(e)
	}
	return nil
}
