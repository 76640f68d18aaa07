// Package source describes where a build's source comes from: the git
// revision, its commit time (the default SOURCE_DATE_EPOCH) and the
// repository URL, read with go-git so no git binary is needed.
package source

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/paved-dev/paved/pipelines/redact"
)

// ErrNotRepository means the directory is not inside a git work tree.
var ErrNotRepository = errors.New("not inside a git repository")

// Info is what a build records about its source.
type Info struct {
	// Revision is the commit hash of HEAD.
	Revision string `json:"revision"`
	// Time is HEAD's commit time, UTC.
	Time time.Time `json:"time"`
	// URL is the "origin" remote's URL with any credentials removed; empty
	// when there is no origin.
	URL string `json:"url,omitempty"`
}

// Inspect reads dir's repository (searching parent directories for .git).
// It returns ErrNotRepository, wrapped, outside a repository.
func Inspect(dir string) (*Info, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("reading source %q: %w", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("reading git repository of %q: %w", dir, err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("reading HEAD of %q: %w (make a first commit)", dir, err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return nil, fmt.Errorf("reading commit %s of %q: %w", head.Hash(), dir, err)
	}
	info := &Info{Revision: head.Hash().String(), Time: commit.Committer.When.UTC()}
	if r, err := repo.Remote("origin"); err == nil && len(r.Config().URLs) > 0 {
		info.URL = StripCredentials(r.Config().URLs[0])
	}
	return info, nil
}

// StripCredentials removes a user and password (and secret query values)
// from a URL, so a token in a remote URL never reaches an image annotation
// or a report (see redact.Strip).
func StripCredentials(raw string) string { return redact.Strip(raw) }
