package fleet

import (
	"context"
	"errors"
)

// Changes opens and follows the bump changes of a campaign on a code forge:
// GitHub pull requests, GitLab merge requests. With plain git remotes there
// is no forge: the campaign pushes a branch and records its merge itself.
type Changes interface {
	// Open opens a change proposing head onto base in repository (the
	// service's clone URL). If a change from head is already open, Open
	// returns it instead of opening a second one.
	Open(ctx context.Context, req ChangeRequest) (Change, error)
	// Get returns the change's current state.
	Get(ctx context.Context, repository, id string) (Change, error)
	// Close closes an unmerged change, leaving comment on it. Closing a
	// change that is already closed is not an error; closing a merged one
	// is (revert it instead).
	Close(ctx context.Context, repository, id, comment string) error
}

// ChangeRequest is a change to open.
type ChangeRequest struct {
	Repository string
	// Base is the branch to merge into, Head the branch holding the bump.
	Base, Head  string
	Title, Body string
	Labels      []string
}

// ChangeState is where a change stands.
type ChangeState string

// Change states.
const (
	ChangeOpen   ChangeState = "open"
	ChangeMerged ChangeState = "merged"
	ChangeClosed ChangeState = "closed"
)

// Change is an opened change.
type Change struct {
	// ID is the forge's number for it (a pull request or merge request
	// number), URL its web page.
	ID    string      `json:"id" yaml:"id"`
	URL   string      `json:"url,omitempty" yaml:"url,omitempty"`
	State ChangeState `json:"state" yaml:"state"`
	// MergeCommit is the commit on Base that merged it, once merged.
	MergeCommit string `json:"mergeCommit,omitempty" yaml:"mergeCommit,omitempty"`
}

// ErrForbidden is wrapped by a forge's error when its token lacks the rights
// for a call (HTTP 401/403): the token, not the repository, needs fixing.
var ErrForbidden = errors.New("forge token lacks the rights for this call")
