package campaign

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/pipelines/failure"
)

// GateResult is the health gate's reading of a wave. The gate counts the
// wave's merged services and the ones whose bump failed; a failed bump
// counts against the ratio like a failed run.
type GateResult struct {
	Wave string
	// Merged counts the gated merged services; OK, Failed and Missing
	// name them by their latest counted run.
	Merged              int
	OK, Failed, Missing []string
	// Late names services of earlier waves whose bump merged while this
	// wave ran (a retried bump): they are gated with this wave.
	Late []string `json:",omitempty"`
	// BumpFailed names services whose bump failed for good (bad input,
	// a closed change); Retrying those whose failure was transient and
	// is retried on every advance. Both count as not healthy.
	BumpFailed []string `json:",omitempty"`
	Retrying   []string `json:",omitempty"`
	// Unsettled names services whose bump is not merged yet.
	Unsettled []string
	// Unverified names OK services of a base campaign whose run did not
	// report its base images: they count, but the new base is not
	// verified.
	Unverified []string `json:",omitempty"`
}

// Counted is the gate's denominator: merged services and failed bumps.
func (g GateResult) Counted() int { return g.Merged + len(g.BumpFailed) + len(g.Retrying) }

// Gate reads the gate of the campaign's current wave from its recorded
// verdicts, without fetching anything.
func (c *Campaign) Gate() GateResult {
	var g GateResult
	if c.Wave < 0 || c.Wave >= len(c.Waves) {
		return g
	}
	g.Wave = c.Waves[c.Wave].Name
	for _, s := range gated(c, c.Wave) {
		if s.Wave != c.Wave {
			g.Late = append(g.Late, s.Name)
		}
		switch s.Status {
		case Pending, Opened:
			g.Unsettled = append(g.Unsettled, s.Name)
		case Failed:
			if s.ErrorKind == failure.Transient.String() {
				g.Retrying = append(g.Retrying, s.Name)
			} else {
				g.BumpFailed = append(g.BumpFailed, s.Name)
			}
		case Merged:
			g.Merged++
			switch {
			case s.Health == nil || s.Health.Status == HealthMissing:
				g.Missing = append(g.Missing, s.Name)
			case s.Health.Status == HealthOK:
				g.OK = append(g.OK, s.Name)
				if s.Health.Unverified {
					g.Unverified = append(g.Unverified, s.Name)
				}
			default:
				g.Failed = append(g.Failed, s.Name)
			}
		}
	}
	return g
}

// gated returns the services wave w's gate reads: the wave's own, and
// those of earlier waves whose bump merged after wave w started (a bump
// that failed in its wave and merged on a later retry is gated once, with
// the wave it merged in).
func gated(c *Campaign, w int) []*Service {
	start := c.Waves[w].StartedAt
	var out []*Service
	for i := range c.Services {
		s := &c.Services[i]
		late := s.Wave >= 0 && s.Wave < w && s.Status == Merged && s.MergedAt != nil && start != nil && s.MergedAt.After(*start)
		if s.Wave == w || late {
			out = append(out, s)
		}
	}
	return out
}

// gate checks the health of the current wave once its bumps are all
// settled (merged or failed): it reads every gated merged service's run
// records, records the verdicts, and passes the wave (starting the next
// one, or finishing the campaign), halts the campaign, or waits.
func (e *Engine) gate(ctx context.Context, c *Campaign) (*Campaign, bool, error) {
	w := c.Wave
	var merged []*Service
	for _, s := range gated(c, w) {
		switch {
		case s.Wave == w && (s.Status == Pending || s.Status == Opened):
			return c, false, nil
		case s.Status == Merged:
			merged = append(merged, s)
		}
	}
	deadline := windowEnd(c, w)
	deploys, derr := e.readDeploys(ctx, c)
	verdicts := make(map[string]*Verdict, len(merged))
	var mu sync.Mutex
	_ = forEach(ctx, c.MaxInFlight, len(merged), func(i int) error {
		s := merged[i]
		r, err := gitrepo.Clone(ctx, s.Repository, s.Branch, e.auth)
		var v *Verdict
		if err == nil {
			v, err = e.health(ctx, r, c, s, deadline, deploys)
		}
		if err == nil && v.Status == HealthMissing && derr != nil {
			v.Message = strings.TrimPrefix(v.Message+"; ", "; ") + "reading the GitOps deploy records: " + derr.Error()
		}
		if err != nil {
			v = &Verdict{Status: HealthMissing, Message: err.Error()}
		}
		mu.Lock()
		verdicts[s.Name] = v
		mu.Unlock()
		return nil
	})
	now := e.now()
	t := &Transition{Action: "health", Detail: "wave " + c.Waves[w].Name}
	c, err := e.store.Update(ctx, c.ID, t, func(c *Campaign) error {
		if c.State != Running || c.Wave != w {
			return nil // another process moved it on
		}
		for name, v := range verdicts {
			c.Service(name).Health = v
		}
		t.Action, t.Detail = decide(c, now)
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

// decide applies the gate of c's current wave at now to c: the wave
// passes, the campaign halts, or it waits. It returns the transition's
// action and detail.
func decide(c *Campaign, now time.Time) (string, string) {
	w := c.Wave
	g := c.Gate()
	n, ok := g.Counted(), len(g.OK)
	bad := len(g.Failed) + len(g.BumpFailed)
	healthy := fmt.Sprintf("%d of %d healthy", ok, n)
	if len(g.Unverified) > 0 {
		healthy += fmt.Sprintf(", %d with the new base unverified (their runs report no bases: %s)", len(g.Unverified), strings.Join(first(g.Unverified, 10), ", "))
	}
	switch {
	case len(g.Unsettled) > 0: // another process reopened a bump meanwhile
		return "health", fmt.Sprintf("wave %s waits: not merged yet %s", g.Wave, strings.Join(first(g.Unsettled, 10), ", "))
	case n > 0 && bad > 0 && float64(n-bad)/float64(n) < c.Health.Ratio:
		c.State, c.Reason = Halted, failedReason(c, g)
		return "halted", c.Reason
	case n == 0 || float64(ok)/float64(n) >= c.Health.Ratio:
		c.Waves[w].PassedAt = &now
		if w+1 == len(c.Waves) {
			c.State = Done
			return "done", fmt.Sprintf("wave %s passed: %s", g.Wave, healthy)
		}
		c.Wave = w + 1
		c.Waves[w+1].StartedAt = &now
		return "advanced", fmt.Sprintf("wave %s passed (%s); wave %s starts", g.Wave, healthy, c.Waves[w+1].Name)
	case now.After(windowEnd(c, w)):
		c.State = Halted
		c.Reason = fmt.Sprintf("health gate of wave %s: the %s window after the last merge passed with %s (need %g)%s",
			g.Wave, time.Duration(c.Health.Window), healthy, c.Health.Ratio, waiting(c, g))
		return "halted", c.Reason
	}
	return "health", fmt.Sprintf("wave %s waits: %s%s", g.Wave, healthy, waiting(c, g))
}

// waiting says what a wave waits for: runs and retried bumps.
func waiting(c *Campaign, g GateResult) string {
	var b strings.Builder
	if len(g.Missing) > 0 {
		fmt.Fprintf(&b, "; no counted run from %s", strings.Join(first(g.Missing, 10), ", "))
	}
	for _, name := range first(g.Retrying, 10) {
		if s := c.Service(name); s != nil {
			fmt.Fprintf(&b, "; retrying the bump of %s (%s)", name, s.Error)
		} else {
			fmt.Fprintf(&b, "; %s", name)
		}
	}
	return b.String()
}

// failedReason names each failing service with its failed step, and each
// service whose bump failed with its error.
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
	for _, name := range g.BumpFailed {
		if s := c.Service(name); s.mergeRefused() {
			parts = append(parts, fmt.Sprintf("%s was not merged: %s", name, s.Error))
		} else {
			parts = append(parts, fmt.Sprintf("%s could not be bumped (%s)", name, s.Error))
		}
	}
	bad := len(g.Failed) + len(g.BumpFailed)
	return fmt.Sprintf("health gate of wave %s: %d of %d services failed, above the %g%% allowed: %s",
		g.Wave, bad, g.Counted(), (1-c.Health.Ratio)*100, strings.Join(parts, "; "))
}

// windowEnd is the end of wave w's health window: its length after the
// latest merge of a service the wave gates (after the wave started when
// none merged). One window for the whole wave: a run finishing after it
// does not count, and a wave still short of healthy runs then halts.
func windowEnd(c *Campaign, w int) time.Time {
	var t time.Time
	if s := c.Waves[w].StartedAt; s != nil {
		t = *s
	}
	for _, s := range gated(c, w) {
		if s.Status == Merged && s.MergedAt != nil && s.MergedAt.After(t) {
			t = *s.MergedAt
		}
	}
	return t.Add(time.Duration(c.Health.Window))
}
