package gitea

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

// Merge merges pull request id with a merge commit (POST
// .../pulls/{n}/merge, Do=merge, head_commit_id=head) and returns it
// merged, with its merge commit. A merged pull request is returned as it
// is; a closed one, or one whose head is not head, is bad input. Gitea
// checks a new pull request's mergeability in the background and refuses
// to merge until it has ("Please try again later"): that is transient. A
// merge whose call failed is read again: when the pull request is merged
// (a retried call after a lost answer), that is success.
func (f *Forge) Merge(ctx context.Context, repository, id, head, message string) (fleet.Change, error) {
	c, err := f.Get(ctx, repository, id)
	if err != nil {
		return fleet.Change{}, err
	}
	owner, name, n, _ := ref(repository, id)
	switch {
	case c.State == fleet.ChangeMerged:
		return c, nil
	case c.State == fleet.ChangeClosed:
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("merging pull request %s/%s#%d: it is closed: reopen it or roll the campaign back", owner, name, n))
	case head != "" && c.Head != head:
		return fleet.Change{}, failure.BadInputErr(fmt.Errorf("merging pull request %s/%s#%d: its head is %s, not the bump %s: review it and merge it by hand (the next advance records the merge)", owner, name, n, c.Head, head))
	}
	title, body, _ := strings.Cut(message, "\n")
	_, err = f.api.Do(ctx, forge.Call{
		What:   fmt.Sprintf("merging pull request %s/%s#%d", owner, name, n),
		Method: http.MethodPost, Path: fmt.Sprintf("%s/pulls/%d/merge", repoPath(owner, name), n), Scope: scopePulls,
		Body: map[string]any{"Do": "merge", "MergeTitleField": title, "MergeMessageField": strings.TrimSpace(body), "head_commit_id": head},
	}, nil)
	if err != nil {
		// A merge retried after a lost answer finds the pull request merged
		// (Gitea answers 405 with no message): read what happened.
		if c, gerr := f.Get(ctx, repository, id); gerr == nil && c.State == fleet.ChangeMerged {
			return c, nil
		}
		if strings.Contains(err.Error(), "HTTP 405") && strings.Contains(err.Error(), "try again later") {
			return fleet.Change{}, failure.TransientErr(fmt.Errorf("%w: Gitea is still checking whether it merges cleanly", err))
		}
		return fleet.Change{}, err
	}
	return f.Get(ctx, repository, id)
}

// status is a Gitea commit status.
type status struct {
	Context     string `json:"context"`
	Status      string `json:"status"`
	TargetURL   string `json:"target_url"`
	Description string `json:"description"`
}

// maxStatusPages bounds the pages of statuses read for one commit.
const maxStatusPages = 20

// Checks returns the latest status of every context on commit (GET
// .../commits/{ref}/status, Gitea's combined status). That endpoint pages
// without a Link header, so pages are read until one comes back empty.
// Gitea's pending is pending; success and warning are success; error and
// failure are failure.
func (f *Forge) Checks(ctx context.Context, repository, commit string) ([]fleet.Check, error) {
	owner, name, err := repo(repository)
	if err != nil {
		return nil, err
	}
	var out []fleet.Check
	seen := map[string]bool{}
	for page := 1; page <= maxStatusPages; page++ {
		var combined struct {
			Statuses []status `json:"statuses"`
		}
		if _, err := f.api.Do(ctx, forge.Call{
			What:   fmt.Sprintf("reading the commit statuses of %s on %s/%s", commit, owner, name),
			Method: http.MethodGet, Path: repoPath(owner, name) + "/commits/" + url.PathEscape(commit) + "/status",
			Query: url.Values{"limit": {pageSize}, "page": {strconv.Itoa(page)}}, Scope: "the read:repository scope",
		}, &combined); err != nil {
			return nil, err
		}
		if len(combined.Statuses) == 0 {
			break
		}
		for _, s := range combined.Statuses {
			if !seen[s.Context] {
				seen[s.Context] = true
				out = append(out, fleet.Check{Name: s.Context, State: checkState(s.Status), URL: s.TargetURL, Description: s.Description})
			}
		}
	}
	return out, nil
}

func checkState(s string) fleet.CheckState {
	switch s {
	case "success", "warning":
		return fleet.CheckSuccess
	case "error", "failure":
		return fleet.CheckFailure
	}
	return fleet.CheckPending
}
