package campaign

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Report is what a platform engineer watches of one campaign: per wave
// and per service the change, the CI result with its link, the deploy,
// and why the campaign waits or halted.
type Report struct {
	Campaign *Campaign
	Gate     GateResult
	Waves    []WaveReport
	// Deploys says why the GitOps deploy records could not be read, when
	// the campaign names a GitOps repository and reading it failed.
	DeploysError string
}

// WaveReport is one wave of a Report, its services in name order.
type WaveReport struct {
	Name string
	// State is passed, running, halted or pending (not started).
	State    string
	Services []ServiceReport
}

// ServiceReport is one service of a Report. Empty fields are unknown.
type ServiceReport struct {
	Name, Status string
	// Change is the change's number (or branch), ChangeURL its page;
	// Revert the forward commit that reverted the bump.
	Change, ChangeURL, Revert string
	// Health is the verdict (ok, failed, missing), Step the failed step
	// or the CI job, CI the evidence it rests on and CIURL the CI
	// result's page.
	Health, Step, CI, CIURL string
	// Deploy is the service's latest deploy record in the GitOps
	// repository: environment, paved version and source revision.
	Deploy string
	// Why says why the campaign waits for the service, or why it failed.
	Why string
}

// Report loads campaign id, reads the GitOps deploy records of its
// services (when it names a GitOps repository) and reports it. A GitOps
// repository that cannot be read is said in DeploysError, not returned.
func (e *Engine) Report(ctx context.Context, id string) (*Report, error) {
	c, err := e.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	d, err := e.readDeploys(ctx, c)
	r := NewReport(c, d)
	if err != nil {
		r.DeploysError = err.Error()
	}
	return r, nil
}

// NewReport reports c from its recorded state alone, with the deploy
// records d (nil: not read).
func NewReport(c *Campaign, d *deployRecords) *Report {
	r := &Report{Campaign: c, Gate: c.Gate()}
	for i, w := range c.Waves {
		wr := WaveReport{Name: w.Name, State: waveState(c, i)}
		for _, s := range c.Services {
			if s.Wave == i {
				wr.Services = append(wr.Services, serviceReport(&s, d, wr.State))
			}
		}
		r.Waves = append(r.Waves, wr)
	}
	return r
}

func waveState(c *Campaign, i int) string {
	w := c.Waves[i]
	switch {
	case w.PassedAt != nil:
		return "passed"
	case w.StartedAt == nil || i > c.Wave:
		return "pending"
	case c.State == Halted || c.State == RolledBack:
		return string(c.State)
	}
	return "running"
}

func serviceReport(s *Service, d *deployRecords, wave string) ServiceReport {
	sr := ServiceReport{Name: s.Name, Status: string(s.Status), Revert: short(s.RevertCommit), Deploy: d.latest(s.Name)}
	if s.Change != nil {
		sr.Change, sr.ChangeURL = s.Change.ID, s.Change.URL
		if _, err := strconv.Atoi(s.Change.ID); err == nil {
			sr.Change = "#" + s.Change.ID // a pull or merge request
		}
	}
	if v := s.Health; v != nil {
		sr.Health, sr.Step = v.Status, v.Step
		sr.CI, sr.CIURL = describeEvidence(v), v.URL
	}
	if wave == "running" || wave == "halted" || s.Status == Failed {
		sr.Why = why(s)
	}
	return sr
}

// why is one line on what a service of a running or halted wave waits for,
// or why it failed; empty when it is done.
func why(s *Service) string {
	switch {
	case s.mergeRefused():
		return "not merged: " + s.Error
	case s.Status == Failed:
		return "the bump failed: " + s.Error
	case s.Status == Pending:
		return "the bump is not pushed yet (advance pushes it)"
	case s.Status == Opened:
		return "the change is not merged yet (merge it on the forge, or let advance merge it with auto-merge once its CI passed)"
	case s.Status != Merged:
		return ""
	case s.Health == nil:
		return "merged; its health is read by the next advance"
	case s.Health.Status == HealthMissing:
		return cmp.Or(s.Health.Message, "no counted run yet")
	case s.Health.Status == HealthFailed:
		line := fmt.Sprintf("failed at step %s", cmp.Or(s.Health.Step, "?"))
		if s.Health.Message != "" {
			line += ": " + s.Health.Message
		}
		return line
	}
	return ""
}

// describeEvidence says what a verdict rests on: the CI result's page, the
// deploy record, the run file, or why the gate still waits.
func describeEvidence(v *Verdict) string {
	switch v.Evidence {
	case EvidenceCheck:
		return "ci " + cmp.Or(v.URL, v.Commit)
	case EvidenceDeploy:
		return v.Message
	case EvidenceRun:
		return "run " + v.File
	}
	if v.URL != "" {
		return v.Message + " (" + v.URL + ")"
	}
	return v.Message
}

// latest describes the service's latest deploy record of any environment:
// "dev: paved v0.3.0 from 1a2b3c4d5e6f at 2026-12-01T10:00:00Z"; "" when
// there is none or d was not read.
func (d *deployRecords) latest(service string) string {
	if d == nil || d.versions == nil {
		return ""
	}
	envs := make([]string, 0, len(d.versions.Services[service]))
	for env := range d.versions.Services[service] {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	best, bestAt := "", time.Time{}
	for _, env := range envs {
		rec := d.versions.Services[service][env]
		if rec == nil {
			continue
		}
		at, _ := time.Parse(time.RFC3339, rec.DeployedAt)
		if best != "" && !at.After(bestAt) {
			continue
		}
		best, bestAt = fmt.Sprintf("%s: paved %s from %s at %s", env, cmp.Or(rec.PavedVersion, "?"), cmp.Or(short(rec.SourceRevision), "?"), rec.DeployedAt), at
	}
	return best
}
