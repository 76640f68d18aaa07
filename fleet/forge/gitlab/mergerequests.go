package gitlab

import (
	"context"
	"fmt"
	"strconv"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// change maps a merge request (iid, web URL, state, head and the commits
// that merged it); the commit that merged it is the merge commit, else the
// squash commit, else (a fast-forward merge) its head.
func change(iid int, webURL, state, sha, mergeSHA, squashSHA string) fleet.Change {
	c := fleet.Change{ID: strconv.Itoa(iid), URL: webURL, State: fleet.ChangeOpen, Head: sha}
	switch state {
	case "merged":
		c.State, c.MergeCommit = fleet.ChangeMerged, sha
		for _, s := range []string{mergeSHA, squashSHA} {
			if s != "" {
				c.MergeCommit = s
				break
			}
		}
	case "closed":
		c.State = fleet.ChangeClosed
	}
	return c
}

func basicChange(m *gl.BasicMergeRequest) fleet.Change {
	return change(m.IID, m.WebURL, m.State, m.SHA, m.MergeCommitSHA, m.SquashCommitSHA)
}

// Open opens a merge request of req.Head onto req.Base with req.Labels
// (POST /projects/:id/merge_requests), unless one from req.Head is open
// already (GET /projects/:id/merge_requests?source_branch=&state=opened),
// which it returns as it is.
func (f *Forge) Open(ctx context.Context, req fleet.ChangeRequest) (fleet.Change, error) {
	path, err := projectPath(req.Repository)
	if err != nil {
		return fleet.Change{}, err
	}
	if req.Head == "" || req.Base == "" || req.Title == "" {
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("opening a merge request on %s: head, base and title are required", path))
	}
	if c, ok, err := f.find(ctx, path, req.Head); err != nil || ok {
		return c, err
	}
	opt := &gl.CreateMergeRequestOptions{SourceBranch: &req.Head, TargetBranch: &req.Base, Title: &req.Title, Description: &req.Body}
	if len(req.Labels) > 0 {
		opt.Labels = (*gl.LabelOptions)(&req.Labels)
	}
	m, resp, err := f.gl.MergeRequests.CreateMergeRequest(path, opt, gl.WithContext(ctx))
	if err != nil {
		// Another run may have opened it since the lookup (GitLab answers
		// 409 "Another open merge request already exists").
		if c, ok, ferr := f.find(ctx, path, req.Head); ferr == nil && ok {
			return c, nil
		}
		return fleet.Change{}, f.fail(fmt.Sprintf("opening a merge request from %q on %s", req.Head, path), scopeWrite, resp, err)
	}
	return basicChange(&m.BasicMergeRequest), nil
}

func (f *Forge) find(ctx context.Context, path, head string) (fleet.Change, bool, error) {
	mrs, resp, err := f.gl.MergeRequests.ListProjectMergeRequests(path, &gl.ListProjectMergeRequestsOptions{SourceBranch: &head, State: gl.Ptr("opened")}, gl.WithContext(ctx))
	if err != nil {
		return fleet.Change{}, false, f.fail(fmt.Sprintf("looking for an open merge request from %q on %s", head, path), scopeRead, resp, err)
	}
	if len(mrs) == 0 {
		return fleet.Change{}, false, nil
	}
	return basicChange(mrs[0]), true, nil
}

// Get returns merge request iid of repository (GET
// /projects/:id/merge_requests/:iid); a merged one carries the commit that
// merged it.
func (f *Forge) Get(ctx context.Context, repository, iid string) (fleet.Change, error) {
	path, n, err := mrRef(repository, iid)
	if err != nil {
		return fleet.Change{}, err
	}
	m, resp, err := f.gl.MergeRequests.GetMergeRequest(path, n, nil, gl.WithContext(ctx))
	if err != nil {
		return fleet.Change{}, f.fail(fmt.Sprintf("reading merge request %s!%s", path, iid), scopeRead, resp, err)
	}
	return basicChange(&m.BasicMergeRequest), nil
}

// Close leaves comment on merge request iid (POST .../notes) and closes it
// (PUT state_event=close). A closed one is left alone; a merged one is bad
// input wrapping forge.ErrMerged.
func (f *Forge) Close(ctx context.Context, repository, iid, comment string) error {
	c, err := f.Get(ctx, repository, iid)
	if err != nil {
		return err
	}
	path, n, _ := mrRef(repository, iid)
	var note func() error
	if comment != "" {
		note = func() error {
			_, resp, err := f.gl.Notes.CreateMergeRequestNote(path, n, &gl.CreateMergeRequestNoteOptions{Body: &comment}, gl.WithContext(ctx))
			return f.failIf(fmt.Sprintf("commenting on merge request %s!%s", path, iid), scopeWrite, resp, err)
		}
	}
	return forge.CloseChange(c, fmt.Sprintf("merge request %s!%s", path, iid), note, func() error {
		_, resp, err := f.gl.MergeRequests.UpdateMergeRequest(path, n, &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close")}, gl.WithContext(ctx))
		return f.failIf(fmt.Sprintf("closing merge request %s!%s", path, iid), scopeWrite, resp, err)
	})
}

// failIf is fail when err is not nil.
func (f *Forge) failIf(what, scope string, resp *gl.Response, err error) error {
	if err == nil {
		return nil
	}
	return f.fail(what, scope, resp, err)
}

func mrRef(repository, iid string) (path string, n int, err error) {
	if path, err = projectPath(repository); err != nil {
		return "", 0, err
	}
	if n, err = strconv.Atoi(iid); err != nil || n <= 0 {
		return "", 0, failure.BadInputErr(fmt.Errorf("reading merge request %q of %s: not a merge request number", iid, path))
	}
	return path, n, nil
}
