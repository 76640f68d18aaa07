package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// pull is the part of a GitHub pull request paved reads.
type pull struct {
	Number         int     `json:"number"`
	HTMLURL        string  `json:"html_url"`
	State          string  `json:"state"`
	Merged         bool    `json:"merged"`
	MergedAt       *string `json:"merged_at"`
	MergeCommitSHA string  `json:"merge_commit_sha"`
	Head           struct {
		SHA string `json:"sha"`
	} `json:"head"`
}

func (p pull) change() fleet.Change {
	c := fleet.Change{ID: strconv.Itoa(p.Number), URL: p.HTMLURL, State: fleet.ChangeOpen, Head: p.Head.SHA}
	switch {
	case p.Merged || p.MergedAt != nil:
		c.State, c.MergeCommit = fleet.ChangeMerged, p.MergeCommitSHA
	case p.State == "closed":
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
	var p pull
	_, err = f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("opening a pull request from %q on %s/%s", req.Head, owner, name),
		Method: http.MethodPost, Path: pullsPath(owner, name), Scope: scopePulls,
		Body: map[string]any{"title": req.Title, "head": req.Head, "base": req.Base, "body": req.Body},
	}, &p)
	if err != nil {
		// Another run may have opened it since the lookup (GitHub answers
		// 422 "A pull request already exists").
		if c, ok, ferr := f.find(ctx, owner, name, req.Head); ferr == nil && ok {
			return c, nil
		}
		return fleet.Change{}, err
	}
	c := p.change()
	if len(req.Labels) > 0 {
		_, err = f.api.Do(ctx, forge.Call{
			What:   fmt.Sprintf("labelling pull request %s/%s#%d", owner, name, p.Number),
			Method: http.MethodPost, Path: issuePath(owner, name, p.Number) + "/labels", Scope: scopeIssues,
			Body: map[string]any{"labels": req.Labels},
		}, nil)
	}
	return c, err
}

// find returns the open pull request from head, if there is one.
func (f *Forge) find(ctx context.Context, owner, name, head string) (fleet.Change, bool, error) {
	var pulls []pull
	_, err := f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("looking for an open pull request from %q on %s/%s", head, owner, name),
		Method: http.MethodGet, Path: pullsPath(owner, name), Scope: scopePulls,
		Query: url.Values{"head": {owner + ":" + head}, "state": {"open"}},
	}, &pulls)
	if err != nil || len(pulls) == 0 {
		return fleet.Change{}, false, err
	}
	return pulls[0].change(), true, nil
}

// Get returns pull request id of repository (GET
// /repos/{owner}/{repo}/pulls/{n}); a merged one carries its merge commit.
func (f *Forge) Get(ctx context.Context, repository, id string) (fleet.Change, error) {
	owner, name, n, err := ref(repository, id)
	if err != nil {
		return fleet.Change{}, err
	}
	var p pull
	_, err = f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("reading pull request %s/%s#%d", owner, name, n),
		Method: http.MethodGet, Path: fmt.Sprintf("%s/%d", pullsPath(owner, name), n), Scope: scopePulls,
	}, &p)
	if err != nil {
		return fleet.Change{}, err
	}
	return p.change(), nil
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
	var comment *forge.Call
	if body != "" {
		comment = &forge.Call{
			What:   fmt.Sprintf("commenting on pull request %s/%s#%d", owner, name, n),
			Method: http.MethodPost, Path: issuePath(owner, name, n) + "/comments", Scope: scopeIssues,
			Body: map[string]string{"body": body},
		}
	}
	return f.api.Close(ctx, c, fmt.Sprintf("pull request %s/%s#%d", owner, name, n), comment, forge.Call{
		What:   fmt.Sprintf("closing pull request %s/%s#%d", owner, name, n),
		Method: http.MethodPatch, Path: fmt.Sprintf("%s/%d", pullsPath(owner, name), n), Scope: scopePulls,
		Body: map[string]string{"state": "closed"},
	})
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

func pullsPath(owner, name string) string {
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/pulls"
}

func issuePath(owner, name string, n int) string {
	return fmt.Sprintf("/repos/%s/%s/issues/%d", url.PathEscape(owner), url.PathEscape(name), n)
}
