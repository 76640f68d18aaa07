package github

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
)

const scopeChecks = "Checks read and Commit statuses read on the repository (classic: repo)"

// checkRun is the part of a GitHub check run paved reads.
type checkRun struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion"`
	HTMLURL    string `json:"html_url"`
	DetailsURL string `json:"details_url"`
	Output     struct {
		Title string `json:"title"`
	} `json:"output"`
}

// commitStatus is the part of a GitHub commit status paved reads.
type commitStatus struct {
	Context     string `json:"context"`
	State       string `json:"state"`
	TargetURL   string `json:"target_url"`
	Description string `json:"description"`
}

// Checks returns the check runs (GET .../commits/{ref}/check-runs, the
// latest of each name: GitHub Actions jobs) and then the commit statuses
// (GET .../commits/{ref}/status, the latest of each context: other CI
// integrations) of commit, every page. A check run not completed is
// pending, and so is one skipped (it did not run); concluded success or
// neutral is success, any other conclusion (failure, cancelled, timed_out,
// action_required, stale) is failure.
func (f *Forge) Checks(ctx context.Context, repository, commit string) ([]fleet.Check, error) {
	owner, name, err := repo(repository)
	if err != nil {
		return nil, err
	}
	base := "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name) + "/commits/" + url.PathEscape(commit)
	var out []fleet.Check
	err = forge.Each(ctx, f.api, forge.Call{
		What:   fmt.Sprintf("reading the check runs of %s on %s/%s", commit, owner, name),
		Method: http.MethodGet, Path: base + "/check-runs", Query: url.Values{"per_page": {"100"}, "filter": {"latest"}}, Scope: scopeChecks,
	}, func(page struct {
		CheckRuns []checkRun `json:"check_runs"`
	}) int {
		for _, r := range page.CheckRuns {
			out = append(out, fleet.Check{Name: r.Name, State: runState(r), URL: cmp.Or(r.HTMLURL, r.DetailsURL), Description: r.Output.Title})
		}
		return len(page.CheckRuns)
	})
	if err != nil {
		return nil, err
	}
	err = forge.Each(ctx, f.api, forge.Call{
		What:   fmt.Sprintf("reading the commit statuses of %s on %s/%s", commit, owner, name),
		Method: http.MethodGet, Path: base + "/status", Query: url.Values{"per_page": {"100"}}, Scope: scopeChecks,
	}, func(page struct {
		Statuses []commitStatus `json:"statuses"`
	}) int {
		for _, s := range page.Statuses {
			out = append(out, fleet.Check{Name: s.Context, State: statusState(s.State), URL: s.TargetURL, Description: s.Description})
		}
		return len(page.Statuses)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func runState(r checkRun) fleet.CheckState {
	switch {
	case r.Status != "completed":
		return fleet.CheckPending
	case r.Conclusion == "success" || r.Conclusion == "neutral":
		return fleet.CheckSuccess
	case r.Conclusion == "skipped":
		return fleet.CheckPending // a job that did not run is no result
	}
	return fleet.CheckFailure
}

// statusState maps a commit status: error and failure are failure.
func statusState(s string) fleet.CheckState {
	switch s {
	case "success":
		return fleet.CheckSuccess
	case "pending":
		return fleet.CheckPending
	}
	return fleet.CheckFailure
}
