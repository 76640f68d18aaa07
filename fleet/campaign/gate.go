package campaign

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/pipelines/failure"
)

// GateResult is the health gate's reading of a wave.
type GateResult struct {
	Wave string
	// Merged counts the wave's merged services; OK, Failed and Missing
	// name them by their latest counted run.
	Merged              int
	OK, Failed, Missing []string
	// Unsettled names services whose bump is not merged yet.
	Unsettled []string
}

// Gate reads the gate of the campaign's current wave from its recorded
// verdicts, without fetching anything.
func (c *Campaign) Gate() GateResult {
	var g GateResult
	if c.Wave < 0 {
		return g
	}
	g.Wave = c.Waves[c.Wave].Name
	for _, s := range c.InWave(c.Wave) {
		switch s.Status {
		case Pending, Opened:
			g.Unsettled = append(g.Unsettled, s.Name)
		case Merged:
			g.Merged++
			switch {
			case s.Health == nil || s.Health.Status == HealthMissing:
				g.Missing = append(g.Missing, s.Name)
			case s.Health.Status == HealthOK:
				g.OK = append(g.OK, s.Name)
			default:
				g.Failed = append(g.Failed, s.Name)
			}
		}
	}
	return g
}

// gate checks the health of the current wave once its bumps are all
// merged: it reads every merged service's run records, records the
// verdicts, and passes the wave (starting the next one, or finishing the
// campaign), halts the campaign, or waits.
func (e *Engine) gate(ctx context.Context, c *Campaign) (*Campaign, bool, error) {
	w := c.Wave
	var merged []*Service
	failedBumps := 0
	for _, s := range c.InWave(w) {
		switch s.Status {
		case Pending, Opened:
			return c, false, nil
		case Merged:
			merged = append(merged, s)
		case Failed:
			failedBumps++
		}
	}
	verdicts := make(map[string]*Verdict, len(merged))
	var mu = make(chan struct{}, 1)
	_ = forEach(ctx, c.MaxInFlight, len(merged), func(i int) error {
		s := merged[i]
		v := &Verdict{Status: HealthMissing}
		r, err := gitrepo.Clone(ctx, s.Repository, s.Branch, e.auth)
		if err == nil {
			v, err = verdict(r, c, s)
		}
		if err != nil {
			v = &Verdict{Status: HealthMissing, Message: err.Error()}
		}
		mu <- struct{}{}
		verdicts[s.Name] = v
		<-mu
		return nil
	})
	now := e.now()
	decide := func(c *Campaign) (string, string) {
		for name, v := range verdicts {
			c.Service(name).Health = v
		}
		g := c.Gate()
		n := float64(g.Merged)
		switch {
		case len(g.Failed) > 0 && (n-float64(len(g.Failed)))/n < c.Health.Ratio:
			c.State, c.Reason = Halted, failedReason(c, g)
			return "halted", c.Reason
		case g.Merged > 0 && float64(len(g.OK))/n >= c.Health.Ratio, g.Merged == 0 && failedBumps == 0:
			c.Waves[w].PassedAt = &now
			if w+1 == len(c.Waves) {
				c.State = Done
				return "done", fmt.Sprintf("wave %s passed: %d of %d healthy", g.Wave, len(g.OK), g.Merged)
			}
			c.Wave = w + 1
			c.Waves[w+1].StartedAt = &now
			return "advanced", fmt.Sprintf("wave %s passed (%d of %d healthy); wave %s starts", g.Wave, len(g.OK), g.Merged, c.Waves[w+1].Name)
		case g.Merged > 0 && now.After(lastMerge(c, w).Add(time.Duration(c.Health.Window))):
			c.State = Halted
			c.Reason = fmt.Sprintf("health gate of wave %s: the %s window after the last merge passed with %d of %d healthy (need %g); no counted run from %s",
				g.Wave, time.Duration(c.Health.Window), len(g.OK), g.Merged, c.Health.Ratio, strings.Join(g.Missing, ", "))
			return "halted", c.Reason
		}
		return "health", fmt.Sprintf("wave %s waits: %d of %d healthy, missing %s", g.Wave, len(g.OK), g.Merged, strings.Join(first(g.Missing, 10), ", "))
	}
	t := &Transition{Action: "health", Detail: "wave " + c.Waves[w].Name}
	c, err := e.store.Update(ctx, c.ID, t, func(c *Campaign) error {
		if c.State != Running || c.Wave != w {
			return nil // another process moved it on
		}
		t.Action, t.Detail = decide(c)
		return nil
	})
	action := t.Action
	if err != nil {
		return c, false, err
	}
	switch {
	case c.State == Halted:
		return c, false, failure.PolicyErr(fmt.Errorf("campaign %q %w: %s", c.ID, ErrHalted, c.Reason))
	case action == "advanced" || action == "done":
		return c, c.State == Running, nil
	}
	return c, false, nil
}

// failedReason names each failing service with its failed step.
func failedReason(c *Campaign, g GateResult) string {
	var parts []string
	for _, name := range g.Failed {
		v := c.Service(name).Health
		p := fmt.Sprintf("%s failed at step %s", name, v.Step)
		if v.Message != "" {
			p += " (" + v.Message + ")"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("health gate of wave %s: %d of %d merged services failed, above the %g%% allowed: %s",
		g.Wave, len(g.Failed), g.Merged, (1-c.Health.Ratio)*100, strings.Join(parts, "; "))
}

// lastMerge is the latest merge time of wave w.
func lastMerge(c *Campaign, w int) time.Time {
	var t time.Time
	for _, s := range c.InWave(w) {
		if s.MergedAt != nil && s.MergedAt.After(t) {
			t = *s.MergedAt
		}
	}
	return t
}
