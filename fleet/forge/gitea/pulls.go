package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// pull is the part of a Gitea pull request paved reads.
type pull struct {
	Number         int     `json:"number"`
	HTMLURL        string  `json:"html_url"`
	State          string  `json:"state"`
	Merged         bool    `json:"merged"`
	MergeCommitSHA *string `json:"merge_commit_sha"`
	Head           struct {
		SHA string `json:"sha"`
	} `json:"head"`
}

func (p pull) change() fleet.Change {
	c := fleet.Change{ID: strconv.Itoa(p.Number), URL: p.HTMLURL, State: fleet.ChangeOpen, Head: p.Head.SHA}
	switch {
	case p.Merged:
		c.State = fleet.ChangeMerged
		if p.MergeCommitSHA != nil {
			c.MergeCommit = *p.MergeCommitSHA
		}
	case p.State == "closed":
		c.State = fleet.ChangeClosed
	}
	return c
}

// Open opens a pull request of req.Head onto req.Base with req.Labels
// (POST /repos/{owner}/{repo}/pulls; labels missing from the repository
// are created first), unless one from req.Head onto req.Base is open
// already (GET .../pulls/{base}/{head}), which it returns as it is.
func (f *Forge) Open(ctx context.Context, req fleet.ChangeRequest) (fleet.Change, error) {
	owner, name, err := repo(req.Repository)
	if err != nil {
		return fleet.Change{}, err
	}
	if req.Head == "" || req.Base == "" || req.Title == "" {
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("opening a pull request on %s/%s: head, base and title are required", owner, name))
	}
	if c, ok, err := f.find(ctx, owner, name, req.Base, req.Head); err != nil || ok {
		return c, err
	}
	ids, err := f.labelIDs(ctx, owner, name, req.Labels)
	if err != nil {
		return fleet.Change{}, err
	}
	var p pull
	_, err = f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("opening a pull request from %q on %s/%s", req.Head, owner, name),
		Method: http.MethodPost, Path: repoPath(owner, name) + "/pulls", Scope: scopePulls,
		Body: map[string]any{"title": req.Title, "head": req.Head, "base": req.Base, "body": req.Body, "labels": ids},
	}, &p)
	if err != nil {
		// Another run may have opened it since the lookup (Gitea answers
		// 409 "pull request already exists for these targets").
		if c, ok, ferr := f.find(ctx, owner, name, req.Base, req.Head); ferr == nil && ok {
			return c, nil
		}
		return fleet.Change{}, err
	}
	return p.change(), nil
}

// find returns the open pull request from head onto base, if there is one.
// Gitea answers with the latest pull request of the pair, in any state.
func (f *Forge) find(ctx context.Context, owner, name, base, head string) (fleet.Change, bool, error) {
	var p pull
	_, err := f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("looking for an open pull request from %q on %s/%s", head, owner, name),
		Method: http.MethodGet, Path: repoPath(owner, name) + "/pulls/" + url.PathEscape(base) + "/" + url.PathEscape(head), Scope: scopePulls,
	}, &p)
	switch {
	case errors.Is(err, forge.ErrNotFound):
		return fleet.Change{}, false, nil
	case err != nil:
		return fleet.Change{}, false, err
	}
	c := p.change()
	return c, c.State == fleet.ChangeOpen, nil
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
		Method: http.MethodGet, Path: fmt.Sprintf("%s/pulls/%d", repoPath(owner, name), n), Scope: scopePulls,
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
			Method: http.MethodPost, Path: fmt.Sprintf("%s/issues/%d/comments", repoPath(owner, name), n), Scope: scopeIssues,
			Body: map[string]string{"body": body},
		}
	}
	return f.api.Close(ctx, c, fmt.Sprintf("pull request %s/%s#%d", owner, name, n), comment, forge.Call{
		What:   fmt.Sprintf("closing pull request %s/%s#%d", owner, name, n),
		Method: http.MethodPatch, Path: fmt.Sprintf("%s/pulls/%d", repoPath(owner, name), n), Scope: scopePulls,
		Body: map[string]string{"state": "closed"},
	})
}

func ref(repository, id string) (owner, name string, n int, err error) {
	if owner, name, err = repo(repository); err != nil {
		return "", "", 0, err
	}
	n, err = strconv.Atoi(id)
	if err != nil || n <= 0 {
		return "", "", 0, failure.BadInputErr(fmt.Errorf("reading pull request %q of %s/%s: not a pull request number", id, owner, name))
	}
	return owner, name, n, nil
}

// label is a repository label.
type label struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// labelIDs returns the IDs of the repository's labels named names (Gitea
// takes label IDs, not names), creating the missing ones.
func (f *Forge) labelIDs(ctx context.Context, owner, name string, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	have := map[string]int64{}
	err := forge.Each(ctx, f.api, forge.Call{
		What:   fmt.Sprintf("reading the labels of %s/%s", owner, name),
		Method: http.MethodGet, Path: repoPath(owner, name) + "/labels", Query: url.Values{"limit": {pageSize}}, Scope: scopeIssues,
	}, func(labels []label) int {
		for _, l := range labels {
			have[strings.ToLower(l.Name)] = l.ID
		}
		return len(labels)
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(names))
	for _, n := range names {
		if id, ok := have[strings.ToLower(n)]; ok {
			ids = append(ids, id)
			continue
		}
		var l label
		if _, err := f.api.Do(ctx, forge.Call{
			What:   fmt.Sprintf("creating label %q on %s/%s", n, owner, name),
			Method: http.MethodPost, Path: repoPath(owner, name) + "/labels", Scope: scopeIssues,
			Body: map[string]string{"name": n, "color": "#3c78d8", "description": "Opened by paved fleet campaigns"},
		}, &l); err != nil {
			return nil, err
		}
		have[strings.ToLower(n)] = l.ID
		ids = append(ids, l.ID)
	}
	return ids, nil
}
