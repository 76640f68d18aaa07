package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// mergeRequest is the part of a GitLab merge request paved reads.
type mergeRequest struct {
	IID             int     `json:"iid"`
	WebURL          string  `json:"web_url"`
	State           string  `json:"state"` // opened, closed, locked, merged
	SHA             string  `json:"sha"`
	MergeCommitSHA  *string `json:"merge_commit_sha"`
	SquashCommitSHA *string `json:"squash_commit_sha"`
}

// change maps the merge request; the commit that merged it is the merge
// commit, else the squash commit, else (a fast-forward merge) its head.
func (m mergeRequest) change() fleet.Change {
	c := fleet.Change{ID: strconv.Itoa(m.IID), URL: m.WebURL, State: fleet.ChangeOpen, Head: m.SHA}
	switch m.State {
	case "merged":
		c.State, c.MergeCommit = fleet.ChangeMerged, m.SHA
		for _, sha := range []*string{m.MergeCommitSHA, m.SquashCommitSHA} {
			if sha != nil && *sha != "" {
				c.MergeCommit = *sha
				break
			}
		}
	case "closed":
		c.State = fleet.ChangeClosed
	}
	return c
}

// Open opens a merge request of req.Head onto req.Base with req.Labels
// (POST /projects/:id/merge_requests), unless one from req.Head is open
// already (GET /projects/:id/merge_requests?source_branch=&state=opened),
// which it returns as it is.
func (f *Forge) Open(ctx context.Context, req fleet.ChangeRequest) (fleet.Change, error) {
	path, id, err := projectPath(req.Repository)
	if err != nil {
		return fleet.Change{}, err
	}
	if req.Head == "" || req.Base == "" || req.Title == "" {
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("opening a merge request on %s: head, base and title are required", path))
	}
	if c, ok, err := f.find(ctx, path, id, req.Head); err != nil || ok {
		return c, err
	}
	body := map[string]any{"source_branch": req.Head, "target_branch": req.Base, "title": req.Title, "description": req.Body}
	if len(req.Labels) > 0 {
		body["labels"] = strings.Join(req.Labels, ",")
	}
	var m mergeRequest
	_, err = f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("opening a merge request from %q on %s", req.Head, path),
		Method: http.MethodPost, Path: id + "/merge_requests", Body: body, Scope: scopeWrite,
	}, &m)
	if err != nil {
		// Another run may have opened it since the lookup (GitLab answers
		// 409 "Another open merge request already exists").
		if c, ok, ferr := f.find(ctx, path, id, req.Head); ferr == nil && ok {
			return c, nil
		}
		return fleet.Change{}, err
	}
	return m.change(), nil
}

func (f *Forge) find(ctx context.Context, path, id, head string) (fleet.Change, bool, error) {
	var mrs []mergeRequest
	_, err := f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("looking for an open merge request from %q on %s", head, path),
		Method: http.MethodGet, Path: id + "/merge_requests", Scope: scopeRead,
		Query: url.Values{"source_branch": {head}, "state": {"opened"}},
	}, &mrs)
	if err != nil || len(mrs) == 0 {
		return fleet.Change{}, false, err
	}
	return mrs[0].change(), true, nil
}

// Get returns merge request iid of repository (GET
// /projects/:id/merge_requests/:iid); a merged one carries the commit that
// merged it.
func (f *Forge) Get(ctx context.Context, repository, iid string) (fleet.Change, error) {
	path, mrPath, err := mrRef(repository, iid)
	if err != nil {
		return fleet.Change{}, err
	}
	var m mergeRequest
	if _, err := f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("reading merge request %s!%s", path, iid),
		Method: http.MethodGet, Path: mrPath, Scope: scopeRead,
	}, &m); err != nil {
		return fleet.Change{}, err
	}
	return m.change(), nil
}

// Close leaves comment on merge request iid (POST .../notes) and closes it
// (PUT state_event=close). A closed one is left alone; a merged one is bad
// input wrapping forge.ErrMerged.
func (f *Forge) Close(ctx context.Context, repository, iid, comment string) error {
	c, err := f.Get(ctx, repository, iid)
	if err != nil {
		return err
	}
	path, mrPath, _ := mrRef(repository, iid)
	switch c.State {
	case fleet.ChangeClosed:
		return nil
	case fleet.ChangeMerged:
		return failure.BadInputErr(fmt.Errorf("closing merge request %s!%s: %w at %s: revert it instead", path, iid, forge.ErrMerged, c.MergeCommit))
	}
	if comment != "" {
		if _, err := f.api.Do(ctx, forge.Call{
			What:   fmt.Sprintf("commenting on merge request %s!%s", path, iid),
			Method: http.MethodPost, Path: mrPath + "/notes", Body: map[string]string{"body": comment}, Scope: scopeWrite,
		}, nil); err != nil {
			return err
		}
	}
	_, err = f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("closing merge request %s!%s", path, iid),
		Method: http.MethodPut, Path: mrPath, Body: map[string]string{"state_event": "close"}, Scope: scopeWrite,
	}, nil)
	return err
}

func mrRef(repository, iid string) (path, mrPath string, err error) {
	path, id, err := projectPath(repository)
	if err != nil {
		return "", "", err
	}
	if n, err := strconv.Atoi(iid); err != nil || n <= 0 {
		return "", "", failure.BadInputErr(fmt.Errorf("reading merge request %q of %s: not a merge request number", iid, path))
	}
	return path, id + "/merge_requests/" + iid, nil
}
