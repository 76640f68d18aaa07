package github

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	gh "github.com/google/go-github/v73/github"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// change is paved's view of a GitHub pull request.
func change(p *gh.PullRequest) fleet.Change {
	c := fleet.Change{ID: strconv.Itoa(p.GetNumber()), URL: p.GetHTMLURL(), State: fleet.ChangeOpen, Head: p.GetHead().GetSHA()}
	switch {
	case p.GetMerged() || p.MergedAt != nil:
		c.State, c.MergeCommit = fleet.ChangeMerged, p.GetMergeCommitSHA()
	case p.GetState() == "closed":
		c.State = fleet.ChangeClosed
	}
	return c
}

// Open opens a pull request of req.Head onto req.Base (POST
// /repos/{owner}/{repo}/pulls) and labels it (POST .../issues/{n}/labels),
// unless one from req.Head is open already (GET .../pulls?head=owner:branch
// &state=open), which it returns as it is. A pull request opened but not
// labelled is returned with the labelling error.
func (f *Forge) Open(ctx context.Context, req fleet.ChangeRequest) (fleet.Change, error) {
	owner, name, err := repo(req.Repository)
	if err != nil {
		return fleet.Change{}, err
	}
	if req.Head == "" || req.Base == "" || req.Title == "" {
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("opening a pull request on %s/%s: head, base and title are required", owner, name))
	}
	if c, ok, err := f.find(ctx, owner, name, req.Head); err != nil || ok {
		return c, err
	}
	p, _, err := f.gh.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{Title: &req.Title, Head: &req.Head, Base: &req.Base, Body: &req.Body})
	if err != nil {
		// Another run may have opened it since the lookup (GitHub answers
		// 422 "A pull request already exists").
		if c, ok, ferr := f.find(ctx, owner, name, req.Head); ferr == nil && ok {
			return c, nil
		}
		return fleet.Change{}, f.fail(fmt.Sprintf("opening a pull request from %q on %s/%s", req.Head, owner, name), scopePulls, err)
	}
	c := change(p)
	if len(req.Labels) > 0 {
		if _, _, err = f.gh.Issues.AddLabelsToIssue(ctx, owner, name, p.GetNumber(), req.Labels); err != nil {
			err = f.fail(fmt.Sprintf("labelling pull request %s/%s#%d", owner, name, p.GetNumber()), scopeIssues, err)
		}
	}
	return c, err
}

// find returns the open pull request from head, if there is one.
func (f *Forge) find(ctx context.Context, owner, name, head string) (fleet.Change, bool, error) {
	pulls, _, err := f.gh.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{Head: owner + ":" + head, State: "open"})
	if err != nil {
		return fleet.Change{}, false, f.fail(fmt.Sprintf("looking for an open pull request from %q on %s/%s", head, owner, name), scopePulls, err)
	}
	if len(pulls) == 0 {
		return fleet.Change{}, false, nil
	}
	return change(pulls[0]), true, nil
}

// Get returns pull request id of repository (GET
// /repos/{owner}/{repo}/pulls/{n}); a merged one carries its merge commit.
func (f *Forge) Get(ctx context.Context, repository, id string) (fleet.Change, error) {
	owner, name, n, err := ref(repository, id)
	if err != nil {
		return fleet.Change{}, err
	}
	p, _, err := f.gh.PullRequests.Get(ctx, owner, name, n)
	if err != nil {
		return fleet.Change{}, f.fail(fmt.Sprintf("reading pull request %s/%s#%d", owner, name, n), scopePulls, err)
	}
	return change(p), nil
}

// Close comments on pull request id (POST .../issues/{n}/comments) and
// closes it (PATCH .../pulls/{n} state=closed). A closed one is left alone;
// a merged one is bad input wrapping forge.ErrMerged.
func (f *Forge) Close(ctx context.Context, repository, id, body string) error {
	c, err := f.Get(ctx, repository, id)
	if err != nil {
		return err
	}
	owner, name, n, _ := ref(repository, id)
	var comment func() error
	if body != "" {
		comment = func() error {
			_, _, err := f.gh.Issues.CreateComment(ctx, owner, name, n, &gh.IssueComment{Body: &body})
			return f.failIf(fmt.Sprintf("commenting on pull request %s/%s#%d", owner, name, n), scopeIssues, err)
		}
	}
	return forge.CloseChange(c, fmt.Sprintf("pull request %s/%s#%d", owner, name, n), comment, func() error {
		_, _, err := f.gh.PullRequests.Edit(ctx, owner, name, n, &gh.PullRequest{State: gh.Ptr("closed")})
		return f.failIf(fmt.Sprintf("closing pull request %s/%s#%d", owner, name, n), scopePulls, err)
	})
}

// failIf is fail when err is not nil.
func (f *Forge) failIf(what, scope string, err error) error {
	if err == nil {
		return nil
	}
	return f.fail(what, scope, err)
}

func ref(repository, id string) (owner, name string, n int, err error) {
	if owner, name, err = repo(repository); err != nil {
		return "", "", 0, err
	}
	n, err = strconv.Atoi(id)
	if err != nil || n <= 0 {
		return "", "", 0, failure.BadInputErr(fmt.Errorf("reading pull request %q of %s/%s: %w", id, owner, name, errors.New("not a pull request number")))
	}
	return owner, name, n, nil
}
