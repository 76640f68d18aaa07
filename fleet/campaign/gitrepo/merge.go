package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// searchDepth bounds the walk of the base branch's history when looking
// for an earlier merge or revert.
const searchDepth = 500

// Merge merges branch head into the base branch and pushes it: a
// fast-forward when the base has not moved since the branch was cut, a
// merge commit (message msg) otherwise, file by file. A head already
// merged returns the commit that merged it, pushing nothing (the zero hash
// when that commit is not found, see ErrMergeNotFound). A file
// changed on both sides is an ErrConflict; a base that moved during the
// push is an ErrRejected (clone again and retry).
func (r *Repo) Merge(ctx context.Context, head, msg string, sig Signature) (plumbing.Hash, error) {
	headTip, ok := r.refs[head]
	if !ok {
		return plumbing.ZeroHash, fmt.Errorf("merging %s into %s of %s: the branch does not exist", head, r.Base, redact.URL(r.URL))
	}
	baseTip := r.refs[r.Base]
	if in, err := r.IsAncestor(headTip, baseTip); err != nil || in {
		if err != nil {
			return plumbing.ZeroHash, err
		}
		by, err := r.mergedBy(headTip)
		if errors.Is(err, ErrMergeNotFound) {
			return plumbing.ZeroHash, nil
		}
		return by, err
	}
	if ff, err := r.IsAncestor(baseTip, headTip); err != nil || ff {
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return headTip, r.Push(ctx, r.Base, headTip)
	}
	hc, err := r.Commit(headTip)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	bc, err := r.Commit(baseTip)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	bases, err := bc.MergeBase(hc)
	if err != nil || len(bases) == 0 {
		return plumbing.ZeroHash, failure.BadInputErr(fmt.Errorf("merging %s into %s of %s: no common ancestor: delete the branch %s so the campaign pushes the bump again", head, r.Base, redact.URL(r.URL), head))
	}
	changes, err := r.threeWay(bases[0].Hash, baseTip, headTip)
	if errors.Is(err, ErrConflict) {
		return plumbing.ZeroHash, failure.BadInputErr(fmt.Errorf("merging %s into %s of %s: %w: rebase %s onto %s by hand, or delete the branch so the next advance pushes the bump again on top of %s", head, r.Base, redact.URL(r.URL), err, head, r.Base, r.Base))
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("merging %s into %s of %s: %w", head, r.Base, redact.URL(r.URL), err)
	}
	h, err := r.Write([]plumbing.Hash{baseTip, headTip}, changes, msg, sig)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, r.Push(ctx, r.Base, h)
}

// ErrMergeNotFound is wrapped by mergedBy's error when the base contains a
// commit but no commit of its first-parent history within searchDepth
// brought it in directly (it came in through another branch's merge, or
// long ago).
var ErrMergeNotFound = errors.New("the commit that merged it is not on the base branch's first-parent history")

// mergedBy returns the commit of the base branch's first-parent history
// that brought in c: c itself (a fast-forward) or a merge commit having it
// as a parent; an error wrapping ErrMergeNotFound when neither is found
// within searchDepth (never a guess: a wrong merge commit would be
// reverted by a rollback).
func (r *Repo) mergedBy(c plumbing.Hash) (plumbing.Hash, error) {
	var found plumbing.Hash
	err := r.firstParents(func(cm *object.Commit) bool {
		for _, p := range append([]plumbing.Hash{cm.Hash}, cm.ParentHashes...) {
			if p == c {
				found = cm.Hash
				return false
			}
		}
		return true
	})
	if err == nil && found.IsZero() {
		err = fmt.Errorf("finding the merge of %s into %s of %s: %w", c, r.Base, redact.URL(r.URL), ErrMergeNotFound)
	}
	return found, err
}

// firstParents calls fn with the base tip and its first parents, newest
// first, until fn returns false or searchDepth commits.
func (r *Repo) firstParents(fn func(*object.Commit) bool) error {
	h := r.refs[r.Base]
	for i := 0; i < searchDepth && !h.IsZero(); i++ {
		c, err := r.Commit(h)
		if err != nil {
			return err
		}
		if !fn(c) {
			return nil
		}
		h = plumbing.ZeroHash
		if len(c.ParentHashes) > 0 {
			h = c.ParentHashes[0]
		}
	}
	return nil
}

// RevertLine is the line a revert commit's message carries, as git
// revert writes it.
func RevertLine(c plumbing.Hash) string { return "This reverts commit " + c.String() + "." }

// Revert undoes commit c (relative to its first parent, so a merge commit
// reverts what it merged) with a new commit on the base branch, message
// msg with RevertLine(c) after its subject, and pushes it: history is kept, nothing
// is force-pushed. When the base no longer has c's changes, Revert returns
// the earlier revert commit naming c, or the zero hash when there is
// none. A file changed since is an ErrConflict.
func (r *Repo) Revert(ctx context.Context, c plumbing.Hash, msg string, sig Signature) (plumbing.Hash, error) {
	cm, err := r.Commit(c)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if len(cm.ParentHashes) == 0 {
		return plumbing.ZeroHash, fmt.Errorf("reverting %s in %s: it is the first commit", c, redact.URL(r.URL))
	}
	baseTip := r.refs[r.Base]
	changes, err := r.threeWay(c, baseTip, cm.ParentHashes[0])
	if errors.Is(err, ErrConflict) {
		return plumbing.ZeroHash, failure.BadInputErr(fmt.Errorf("reverting %s in %s: %w: revert it by hand on %s (git revert %s) and run rollback again", c, redact.URL(r.URL), err, r.Base, c))
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reverting %s in %s: %w", c, redact.URL(r.URL), err)
	}
	if len(changes) == 0 {
		var found plumbing.Hash
		err := r.firstParents(func(b *object.Commit) bool {
			if strings.Contains(b.Message, RevertLine(c)) {
				found = b.Hash
				return false
			}
			return true
		})
		return found, err
	}
	subject, body, _ := strings.Cut(strings.TrimRight(msg, "\n"), "\n")
	msg = subject + "\n\n" + RevertLine(c) + "\n" + body + "\n"
	h, err := r.Write([]plumbing.Hash{baseTip}, changes, msg, sig)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, r.Push(ctx, r.Base, h)
}
