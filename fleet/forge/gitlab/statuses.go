package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
)

// commitStatus is the part of a GitLab commit status (a CI job's, or one
// an external CI posted) paved reads.
type commitStatus struct {
	Name        string  `json:"name"`
	Status      string  `json:"status"`
	TargetURL   *string `json:"target_url"`
	Description *string `json:"description"`
}

// Checks returns the latest status of every job on commit, from every
// pipeline that ran it (GET /projects/:id/repository/commits/:sha/statuses,
// following X-Next-Page). success is success; failed and canceled are
// failure; created, pending, running, manual, scheduled and skipped (a job
// that did not run is no result) are pending.
func (f *Forge) Checks(ctx context.Context, repository, commit string) ([]fleet.Check, error) {
	path, id, err := projectPath(repository)
	if err != nil {
		return nil, err
	}
	q := url.Values{"per_page": {"100"}}
	call := forge.Call{
		What:   fmt.Sprintf("reading the job statuses of %s on %s", commit, path),
		Method: http.MethodGet, Path: id + "/repository/commits/" + url.PathEscape(commit) + "/statuses", Query: q, Scope: scopeRead,
	}
	var out []fleet.Check
	for {
		var statuses []commitStatus
		h, err := f.api.Do(ctx, call, &statuses)
		if err != nil {
			return nil, err
		}
		for _, s := range statuses {
			out = append(out, fleet.Check{Name: s.Name, State: jobState(s.Status), URL: deref(s.TargetURL), Description: deref(s.Description)})
		}
		next := h.Get("X-Next-Page")
		if next == "" || len(statuses) == 0 {
			return out, nil
		}
		q.Set("page", next)
	}
}

func jobState(s string) fleet.CheckState {
	switch s {
	case "success":
		return fleet.CheckSuccess
	case "failed", "canceled":
		return fleet.CheckFailure
	}
	return fleet.CheckPending
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
