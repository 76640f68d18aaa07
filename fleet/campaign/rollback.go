package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Halt stops campaign id with reason: Advance refuses it until it is
// resumed (Resume) or rolled back. Halting a halted campaign keeps the first reason.
func (e *Engine) Halt(ctx context.Context, id, reason string) (*Campaign, error) {
	if reason == "" {
		return nil, failure.BadInputErr(fmt.Errorf("halting campaign %q: give a reason", id))
	}
	return e.store.Update(ctx, id, &Transition{Action: "halted", Detail: reason}, func(c *Campaign) error {
		switch c.State {
		case Running:
			c.State, c.Reason = Halted, reason
		case Done, RolledBack:
			return failure.BadInputErr(fmt.Errorf("halting campaign %q: it is %s already", id, c.State))
		}
		return nil
	})
}

// Resume lets halted campaign id run again: the halt reason is cleared and
// the current wave's health verdicts are dropped, so the next Advance
// retries failed services and reads their health afresh. It refuses a
// campaign a rollback has begun on (a service reverted or closed).
func (e *Engine) Resume(ctx context.Context, id string) (*Campaign, error) {
	return e.store.Update(ctx, id, &Transition{Action: "resumed"}, func(c *Campaign) error {
		if c.State != Halted {
			return failure.BadInputErr(fmt.Errorf("resuming campaign %q: it is %s, not halted", id, c.State))
		}
		for _, s := range c.Services {
			if s.Status == Reverted || s.Status == Closed {
				return failure.BadInputErr(fmt.Errorf("resuming campaign %q: a rollback has begun (%s is %s): finish it (paved fleet campaign rollback) and start a new campaign", id, s.Name, s.Status))
			}
		}
		c.State, c.Reason = Running, ""
		for i := range c.Services {
			if c.Services[i].Wave == c.Wave {
				c.Services[i].Health = nil
			}
		}
		return nil
	})
}

// Rollback undoes campaign id in every wave it started: a merged bump is
// reverted with a forward commit on the base branch (history kept, never a
// force push), an open change is closed (on plain git its branch is
// deleted; on a forge the branch is left to the forge). Each is recorded as
// it happens, so running Rollback again finishes what a crash left. The
// campaign ends rolled back once every service is undone; failures are
// recorded per service and returned together.
func (e *Engine) Rollback(ctx context.Context, id, reason string) (*Campaign, error) {
	c, err := e.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.State == RolledBack {
		return c, nil
	}
	if reason == "" {
		reason = or(c.Reason, "rolled back by hand")
	}
	c, err = e.store.Update(ctx, id, &Transition{Action: "rolling-back", Detail: reason}, func(c *Campaign) error {
		c.State, c.Reason = Halted, reason
		return nil
	})
	if err != nil {
		return nil, err
	}
	for round := 1; ; round++ {
		var errs []error
		if c, errs, err = e.undoAll(ctx, c); err != nil {
			return c, err
		}
		if len(errs) > 0 {
			c, _ = e.store.Load(ctx, id)
			return c, joinFailures(errs)
		}
		if c, err = e.liftDenial(ctx, id); err != nil {
			return c, err
		}
		var left []string
		c, err = e.store.Update(ctx, id, &Transition{Action: "rolled-back", Detail: reason}, func(c *Campaign) error {
			// A concurrent advance may have recorded a merge after this
			// rollback took its list: undo it too before saying done.
			if left = started(c); len(left) > 0 {
				return errStillMoved
			}
			c.State = RolledBack
			return nil
		})
		if !errors.Is(err, errStillMoved) {
			return c, err
		}
		if round >= attempts {
			return c, failure.TransientErr(fmt.Errorf("rolling back campaign %q: %s still merged or open after %d rounds: run rollback again", id, strings.Join(left, ", "), round))
		}
		if c, err = e.store.Load(ctx, id); err != nil {
			return nil, err
		}
	}
}

var errStillMoved = errors.New("services still merged or open")

// started names the services a rollback still has to undo: merged or
// open ones.
func started(c *Campaign) []string {
	var out []string
	for _, s := range c.Services {
		if s.Status == Merged || s.Status == Opened {
			out = append(out, s.Name)
		}
	}
	return out
}

// undoAll undoes every service of the started waves that may have a bump:
// recorded or not (a crash between a push and its record leaves a branch
// the state does not know), found by the campaign branch.
func (e *Engine) undoAll(ctx context.Context, c *Campaign) (*Campaign, []error, error) {
	var todo []Service
	for _, s := range c.Services {
		switch s.Status {
		case Current, Skipped, Closed, Reverted:
			continue
		}
		if s.Wave <= c.Wave || s.Status != Pending {
			todo = append(todo, s)
		}
	}
	var (
		mu   sync.Mutex
		errs []error
	)
	fatal := forEach(ctx, c.MaxInFlight, len(todo), func(i int) error {
		s := todo[i]
		_, err := e.undo(ctx, c, s)
		if err == nil || isStoreErr(err) {
			return err
		}
		fail := err
		mu.Lock()
		errs = append(errs, fmt.Errorf("%s: %w", s.Name, fail))
		mu.Unlock()
		_, err = e.record(ctx, c.ID, Transition{Action: "rollback-failed", Service: s.Name}, s.Name, func(t *Service) {
			t.Error, t.ErrorKind = fail.Error(), failure.KindOf(fail).String()
		})
		return err
	})
	return c, errs, fatal
}

// undo reverts or closes one service's bump.
func (e *Engine) undo(ctx context.Context, c *Campaign, s Service) (*Campaign, error) {
	if s.Status != Merged {
		// Someone may have merged it since the last advance, or a crash
		// left its push or change unrecorded.
		ch, tip, err := e.currentChange(ctx, c, s)
		if err != nil {
			return nil, err
		}
		if s.BumpCommit == "" && !tip.IsZero() {
			s.BumpCommit = tip.String()
		}
		switch {
		case ch.State == fleet.ChangeMerged:
			s.Status, s.Change = Merged, &ch
		case ch.State == fleet.ChangeClosed && tip.IsZero() && s.Change == nil:
			return c, nil // nothing was pushed
		}
	}
	if s.Status != Merged {
		id := Branch(c.ID)
		if s.Change != nil {
			id = s.Change.ID
		}
		changes := e.changes
		if s.Change == nil {
			// No change recorded: the branch is all there is to close.
			changes = gitrepo.NewChanges(e.auth)
		}
		if err := changes.Close(ctx, s.Repository, id, fmt.Sprintf("Campaign %s was rolled back: %s", c.ID, c.Reason)); err != nil {
			return nil, forgeErr(err)
		}
		return e.record(ctx, c.ID, Transition{Action: "closed", Service: s.Name}, s.Name, func(t *Service) {
			t.Status, t.Error, t.ErrorKind = Closed, "", ""
			if t.Change != nil {
				t.Change.State = fleet.ChangeClosed
			}
		})
	}
	target, err := e.revertTarget(s)
	if err != nil {
		return nil, err
	}
	var h plumbing.Hash
	err = gitremote.Retry(ctx, pushRetry, func(int) error {
		r, err := gitrepo.Clone(ctx, s.Repository, s.Branch, e.auth)
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Revert paved campaign %s\n\n%s\n\nPaved-Campaign: %s\n", c.ID, c.Reason, c.ID)
		h, err = r.Revert(ctx, target, msg, e.sig)
		return err
	})
	if err != nil {
		return nil, err
	}
	detail, revert := h.String(), h.String()
	if h.IsZero() {
		// The base no longer has the bump and no revert names it: undone
		// by hand. There is no revert commit to record.
		detail, revert = "already undone", ""
	}
	return e.record(ctx, c.ID, Transition{Action: "reverted", Service: s.Name, Detail: detail}, s.Name, func(t *Service) {
		t.Status, t.RevertCommit, t.Error, t.ErrorKind = Reverted, revert, "", ""
	})
}

// revertTarget is the commit a rollback reverts: on plain git the bump
// itself (against its parent: exactly the bump, however it reached the
// base branch); on a forge the commit the forge says merged it (a squash
// or rebase merge puts the bump on the base under another hash).
func (e *Engine) revertTarget(s Service) (plumbing.Hash, error) {
	h := s.BumpCommit
	if s.Change != nil && (!e.plain && s.Change.MergeCommit != "" || h == "") {
		h = s.Change.MergeCommit
	}
	if h == "" {
		return plumbing.ZeroHash, failure.BadInputErr(fmt.Errorf("reverting the bump of %s in %s: the campaign recorded no bump or merge commit: revert it by hand", s.Name, redact.URL(s.Repository)))
	}
	return plumbing.NewHash(h), nil
}

// currentChange asks where the service's change stands now, and the tip
// of its campaign branch (zero when the branch is gone). Without a
// recorded forge change the branch answers, as on plain git.
func (e *Engine) currentChange(ctx context.Context, c *Campaign, s Service) (fleet.Change, plumbing.Hash, error) {
	if !e.plain && s.Change != nil {
		ch, err := e.changes.Get(ctx, s.Repository, s.Change.ID)
		return ch, plumbing.ZeroHash, forgeErr(err)
	}
	r, err := gitrepo.Clone(ctx, s.Repository, s.Branch, e.auth, Branch(c.ID))
	if err != nil {
		return fleet.Change{}, plumbing.ZeroHash, err
	}
	tip, _ := r.Tip(Branch(c.ID))
	ch, err := r.Change(Branch(c.ID))
	return ch, tip, err
}

// liftDenial reverts, with a forward commit in the policy repository, the
// commit that denied the old base of a base campaign, and records it: the
// fleet is back on the old base, which must build again.
func (e *Engine) liftDenial(ctx context.Context, id string) (*Campaign, error) {
	c, err := e.store.Load(ctx, id)
	if err != nil || c.Denial == nil || c.Denial.Commit == "" || c.Denial.LiftedBy != "" || c.Policy == nil {
		return c, err
	}
	var h plumbing.Hash
	var cloneErr error // a remote that cannot be cloned is returned as it is
	err = gitremote.Retry(ctx, pushRetry, func(int) error {
		r, err := gitrepo.Clone(ctx, c.Policy.Repository, c.Policy.Branch, e.auth)
		if err != nil {
			cloneErr = err
			return nil
		}
		msg := fmt.Sprintf("policy: allow %s again\n\nThe base campaign %s was rolled back: %s\n\nPaved-Campaign: %s\nPaved-Transition: denial-lifted\n", c.Denial.Image, c.ID, c.Reason, c.ID)
		h, err = r.Revert(ctx, plumbing.NewHash(c.Denial.Commit), msg, e.sig)
		return err
	})
	if cloneErr != nil {
		return c, cloneErr
	}
	if err != nil {
		return c, failure.BadInputErr(fmt.Errorf("lifting the denial of %s (policy commit %s in %s): %w: revert that commit by hand, then roll back again", c.Denial.Image, c.Denial.Commit, redact.URL(c.Policy.Repository), err))
	}
	lifted := h.String()
	if h.IsZero() {
		lifted = "already undone"
	}
	return e.store.Update(ctx, id, &Transition{Action: "denial-lifted", Detail: lifted}, func(c *Campaign) error {
		if c.Denial != nil {
			c.Denial.LiftedBy = lifted
		}
		return nil
	})
}
