package github

import (
	"cmp"
	"context"
	"fmt"

	gh "github.com/google/go-github/v73/github"

	"github.com/paved-dev/paved/fleet"
)

const scopeChecks = "Checks read and Commit statuses read on the repository (classic: repo)"

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
	var out []fleet.Check
	err = each(func(lo gh.ListOptions) ([]*gh.CheckRun, *gh.Response, error) {
		res, resp, err := f.gh.Checks.ListCheckRunsForRef(ctx, owner, name, commit, &gh.ListCheckRunsOptions{Filter: gh.Ptr("latest"), ListOptions: lo})
		if err != nil {
			return nil, resp, err
		}
		return res.CheckRuns, resp, nil
	}, func(r *gh.CheckRun) {
		out = append(out, fleet.Check{Name: r.GetName(), State: runState(r), URL: cmp.Or(r.GetHTMLURL(), r.GetDetailsURL()), Description: r.GetOutput().GetTitle()})
	})
	if err != nil {
		return nil, f.fail(fmt.Sprintf("reading the check runs of %s on %s/%s", commit, owner, name), scopeChecks, err)
	}
	err = each(func(lo gh.ListOptions) ([]*gh.RepoStatus, *gh.Response, error) {
		res, resp, err := f.gh.Repositories.GetCombinedStatus(ctx, owner, name, commit, &lo)
		if err != nil {
			return nil, resp, err
		}
		return res.Statuses, resp, nil
	}, func(s *gh.RepoStatus) {
		out = append(out, fleet.Check{Name: s.GetContext(), State: statusState(s.GetState()), URL: s.GetTargetURL(), Description: s.GetDescription()})
	})
	if err != nil {
		return nil, f.fail(fmt.Sprintf("reading the commit statuses of %s on %s/%s", commit, owner, name), scopeChecks, err)
	}
	return out, nil
}

func runState(r *gh.CheckRun) fleet.CheckState {
	switch c := r.GetConclusion(); {
	case r.GetStatus() != "completed":
		return fleet.CheckPending
	case c == "success" || c == "neutral":
		return fleet.CheckSuccess
	case c == "skipped":
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
