package campaign

import (
	"context"
	"fmt"
	"path"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/failure"
)

// headResult reads the forge's results on a change's head, the bump the
// forge is asked to merge: the first that failed, whatever its name (a
// change with a red check is not merged, as a reviewer would not merge
// it), else the first result of the campaign's health check still running
// (a missing verdict saying so). Nil when neither: every result passed, the
// head has none, or the forge reads none. Other checks still running are
// not waited for: a skipped one stays pending for good.
func (e *Engine) headResult(ctx context.Context, c *Campaign, s *Service) (*Verdict, error) {
	checks, ok := e.changes.(fleet.Checks)
	if !ok || s.BumpCommit == "" {
		return nil, nil
	}
	results, err := checks.Checks(ctx, s.Repository, s.BumpCommit)
	if err != nil {
		return nil, err
	}
	var running *Verdict
	for _, ch := range results {
		v := &Verdict{Status: HealthFailed, Evidence: EvidenceCheck, Commit: s.BumpCommit, Step: ch.Name, URL: ch.URL, Message: ch.Description}
		switch named, _ := path.Match(c.Health.Check, ch.Name); {
		case ch.State == fleet.CheckFailure:
			return v, nil
		case ch.State != fleet.CheckSuccess && named && running == nil:
			v.Status, v.Message = HealthMissing, fmt.Sprintf("%s is still %s on the change's head %s", ch.Name, ch.State, short(s.BumpCommit))
			running = v
		}
	}
	return running, nil
}

// refuseMerge records that auto-merge left s's change unmerged because a
// check failed on its head (v): the service fails (a policy failure
// the wave's gate counts), its change stays open for its team or a
// rollback to close, and its health is v, naming the check and its page.
func (e *Engine) refuseMerge(ctx context.Context, c *Campaign, s *Service, v *Verdict) (*Campaign, error) {
	msg := fmt.Sprintf("%s failed on the change's head %s", v.Step, short(v.Commit))
	if v.Message != "" {
		msg += " (" + v.Message + ")"
	}
	if v.URL != "" {
		msg += ", " + v.URL
	}
	msg += ": fix the service and advance again, or roll the campaign back"
	return e.forward(ctx, c.ID, Transition{Action: "merge-refused", Service: s.Name, Detail: v.Step}, s.Name, func(t *Service) {
		t.Status, t.Health = Failed, v
		t.Error, t.ErrorKind = msg, failure.Policy.String()
	})
}

// mergeRefused reports whether s failed because auto-merge refused its
// change (see refuseMerge): its Error then says which check failed.
func (s *Service) mergeRefused() bool {
	return s.Status == Failed && s.Health != nil && s.Health.Status == HealthFailed
}
