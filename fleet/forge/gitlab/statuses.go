package gitlab

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/paved-dev/paved/fleet"
)

// Checks returns the latest status of every job on commit, from every
// pipeline that ran it (GET /projects/:id/repository/commits/:sha/statuses,
// following X-Next-Page). success is success; failed and canceled are
// failure; created, pending, running, manual, scheduled and skipped (a job
// that did not run is no result) are pending.
func (f *Forge) Checks(ctx context.Context, repository, commit string) ([]fleet.Check, error) {
	path, err := projectPath(repository)
	if err != nil {
		return nil, err
	}
	var out []fleet.Check
	resp, err := each(func(lo gl.ListOptions) ([]*gl.CommitStatus, *gl.Response, error) {
		return f.gl.Commits.GetCommitStatuses(path, commit, &gl.GetCommitStatusesOptions{ListOptions: lo}, gl.WithContext(ctx))
	}, func(s *gl.CommitStatus) {
		out = append(out, fleet.Check{Name: s.Name, State: jobState(s.Status), URL: s.TargetURL, Description: s.Description})
	})
	if err != nil {
		return nil, f.fail(fmt.Sprintf("reading the job statuses of %s on %s", commit, path), scopeRead, resp, err)
	}
	return out, nil
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
