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
	// Head is the commit the change proposes (its head branch's tip), when
	// the forge says.
	Head string `json:"head,omitempty" yaml:"head,omitempty"`
}

// Merger is a forge that merges changes through its API. The campaign
// merges a wave's open changes through it when asked to (advance
// --auto-merge); without it, changes are merged on the forge by people or
// its own auto-merge, and the campaign records the merges.
type Merger interface {
	// Merge merges change id of repository with a merge commit carrying
	// message, provided the change's head is still head (so nothing pushed
	// after the bump is merged unseen). Merging a merged change returns it
	// as it is; a closed one is an error.
	Merge(ctx context.Context, repository, id, head, message string) (Change, error)
}

// Checks reads the CI results a forge holds for a commit: GitHub check
// runs and commit statuses, GitLab pipeline jobs, Gitea commit statuses.
type Checks interface {
	// Checks returns the latest result of every check (job, status
	// context) reported on commit of repository, in the forge's order.
	Checks(ctx context.Context, repository, commit string) ([]Check, error)
}

// Check is one CI result on a commit.
type Check struct {
	// Name is the check's name: a GitHub check run's name or a status's
	// context, a GitLab job's name, a Gitea status's context.
	Name string `json:"name" yaml:"name"`
	// State is pending, success or failure (a forge's error, cancelled or
	// timed-out results are failure).
	State CheckState `json:"state" yaml:"state"`
	// URL is the result's page (the CI job), Description the forge's
	// one-line summary.
	URL         string `json:"url,omitempty" yaml:"url,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}

// CheckState is where a check stands.
type CheckState string

// Check states.
const (
	CheckPending CheckState = "pending"
	CheckSuccess CheckState = "success"
	CheckFailure CheckState = "failure"
)

// ErrForbidden is wrapped by a forge's error when its token lacks the rights
// for a call (HTTP 401/403): the token, not the repository, needs fixing.
var ErrForbidden = errors.New("forge token lacks the rights for this call")
