package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Changes is fleet.Changes for plain git remotes, where there is no forge:
// a change is the pushed branch, its ID the branch name. It is open while
// the branch exists and is not merged into the base, merged once the base
// contains it (paved merges it: see Repo.Merge), closed once the branch is
// gone. Close deletes the branch; the comment is for the campaign state,
// since a plain remote has nowhere to keep it.
type Changes struct {
	auth transport.AuthMethod
}

var _ fleet.Changes = (*Changes)(nil)

// NewChanges returns plain-git changes pushing with auth (nil: none).
func NewChanges(auth transport.AuthMethod) *Changes { return &Changes{auth: auth} }

// Open returns the change of req.Head, which must have been pushed.
// Opening it again returns the same change.
func (c *Changes) Open(ctx context.Context, req fleet.ChangeRequest) (fleet.Change, error) {
	ch, err := c.get(ctx, req.Repository, req.Base, req.Head)
	if err != nil {
		return fleet.Change{}, err
	}
	if ch.State == fleet.ChangeClosed {
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("opening a change from %s in %s: the branch does not exist: push it first", req.Head, redact.URL(req.Repository)))
	}
	return ch, nil
}

// Get returns the change of branch id against the remote's HEAD branch.
func (c *Changes) Get(ctx context.Context, repository, id string) (fleet.Change, error) {
	return c.get(ctx, repository, "", id)
}

func (c *Changes) get(ctx context.Context, repository, base, head string) (fleet.Change, error) {
	r, err := Clone(ctx, repository, base, c.auth, head)
	if err != nil {
		return fleet.Change{}, err
	}
	return r.Change(head)
}

// Change reports the plain-git change of branch head in this clone. A
// merged change whose merge commit is not found (see ErrMergeNotFound)
// has an empty MergeCommit: the branch's commits are what it merged.
func (r *Repo) Change(head string) (fleet.Change, error) {
	ch := fleet.Change{ID: head, State: fleet.ChangeClosed}
	tip, ok := r.refs[head]
	if !ok {
		return ch, nil
	}
	merged, err := r.IsAncestor(tip, r.refs[r.Base])
	if err != nil {
		return fleet.Change{}, err
	}
	ch.State = fleet.ChangeOpen
	if merged {
		ch.State = fleet.ChangeMerged
		by, err := r.mergedBy(tip)
		switch {
		case err == nil:
			ch.MergeCommit = by.String()
		case !errors.Is(err, ErrMergeNotFound):
			return fleet.Change{}, err
		}
	}
	return ch, nil
}

// Close deletes the branch of an unmerged change; a branch already gone is
// not an error, a merged one is.
func (c *Changes) Close(ctx context.Context, repository, id, _ string) error {
	r, err := Clone(ctx, repository, "", c.auth, id)
	if err != nil {
		return err
	}
	ch, err := r.Change(id)
	if err != nil {
		return err
	}
	if ch.State == fleet.ChangeMerged {
		return failure.BadInputErr(fmt.Errorf("closing %s in %s: it is merged: revert it instead", id, redact.URL(repository)))
	}
	return r.Delete(ctx, id)
}
