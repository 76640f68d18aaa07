package campaign

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/redact"
)

// ErrNoPin is a service repository without a pin the target moves.
var ErrNoPin = errors.New("no pin to move")

// attempts bounds the tries at a service action whose push is rejected
// because the base branch moved meanwhile.
const attempts = 3

// pushRetry tries a rejected service action again at once: each try
// clones afresh and redoes the action on the new tip.
var pushRetry = gitremote.Backoff{Attempts: attempts}

// service brings one service as far as it goes now: bump pushed and
// change opened, then (with auto-merge on plain git) merged, or its
// forge merge recorded. Each step is recorded as soon as it is done, and
// each is idempotent: an existing branch, change or merge is reused.
func (e *Engine) service(ctx context.Context, c *Campaign, s Service, o AdvanceOptions) (*Campaign, error) {
	var last *Campaign
	var storeFail error // the state store retries its own pushes
	err := gitremote.Retry(ctx, pushRetry, func(int) error {
		var err error
		last, err = e.serviceOnce(ctx, c, &s, o)
		if isStoreErr(err) {
			storeFail = err
			return nil
		}
		return err
	})
	if storeFail != nil {
		err = storeFail
	}
	if err != nil && !isStoreErr(err) {
		fail := err
		last, err = e.forward(ctx, c.ID, Transition{Action: "failed", Service: s.Name, Detail: failure.KindOf(fail).String()}, s.Name, func(t *Service) {
			t.Error, t.ErrorKind = fail.Error(), failure.KindOf(fail).String()
			// A conflicting bump is failed, not open: the wave's gate must
			// not wait for it (advance retries it once the branch is
			// rebased or deleted).
			if t.Status == Pending || errors.Is(fail, gitrepo.ErrConflict) {
				t.Status = Failed
			}
		})
		if err == nil {
			err = fail
		}
	}
	return last, err
}

func (e *Engine) serviceOnce(ctx context.Context, c *Campaign, s *Service, o AdvanceOptions) (*Campaign, error) {
	branch := Branch(c.ID)
	r, err := gitrepo.Clone(ctx, s.Repository, s.Branch, e.auth, branch)
	if err != nil {
		return nil, err
	}
	var last *Campaign
	if s.Status != Opened || s.Change == nil {
		last, err = e.bump(ctx, c, s, r)
		if err != nil || s.Status != Opened {
			return last, err
		}
	}
	var ch fleet.Change
	switch {
	case e.plain && o.AutoMerge:
		if err := sameBump(r, branch, s); err != nil {
			return last, err
		}
		h, err := r.Merge(ctx, branch, mergeMessage(c, r.Base), e.sig)
		if err != nil {
			return last, err
		}
		ch = fleet.Change{ID: s.Change.ID, URL: s.Change.URL, State: fleet.ChangeMerged}
		if !h.IsZero() {
			ch.MergeCommit = h.String()
		}
	case e.plain:
		if ch, err = r.Change(branch); err != nil {
			return last, err
		}
	default:
		if ch, err = e.changes.Get(ctx, s.Repository, s.Change.ID); err != nil {
			return last, forgeErr(err)
		}
		if m, ok := e.changes.(fleet.Merger); ok && o.AutoMerge && ch.State == fleet.ChangeOpen {
			// Merge only a change with no failed check on its head: a red
			// one fails the service; one whose health check still runs
			// there waits.
			head, err := e.headResult(ctx, c, s)
			switch {
			case err != nil:
				return last, forgeErr(err)
			case head != nil && head.Status == HealthFailed:
				return e.refuseMerge(ctx, c, s, head)
			case head != nil:
				return last, nil
			}
			// The forge merges only the recorded bump: head_commit_id on
			// Gitea refuses a branch that moved since.
			if ch, err = m.Merge(ctx, s.Repository, s.Change.ID, s.BumpCommit, mergeMessage(c, or(s.Branch, "the base branch"))); err != nil {
				return last, forgeErr(err)
			}
		}
	}
	if ch.State == fleet.ChangeOpen {
		return last, nil
	}
	at := e.now()
	action := "merged"
	if ch.State == fleet.ChangeClosed {
		action = "closed"
	}
	return e.forward(ctx, c.ID, Transition{Action: action, Service: s.Name, Detail: ch.MergeCommit}, s.Name, func(t *Service) {
		t.Change = &ch
		t.Error, t.ErrorKind = "", ""
		if ch.State == fleet.ChangeMerged {
			t.Status, t.MergedAt = Merged, &at
		} else {
			t.Status = Failed
			t.Error, t.ErrorKind = "the change was closed without merging: reopen it, or roll the campaign back", failure.BadInput.String()
		}
	})
}

// bump pushes the campaign branch (reusing it when it already holds the
// bump) and opens its change, then records the service as opened, or as
// current when its base branch already pins the target.
func (e *Engine) bump(ctx context.Context, c *Campaign, s *Service, r *gitrepo.Repo) (*Campaign, error) {
	branch := Branch(c.ID)
	baseTip, _ := r.Tip(r.Base)
	changes, edits, err := rewriteCommit(r, baseTip, c.Target)
	if err != nil {
		return nil, err
	}
	head, hasBranch := r.Tip(branch)
	if len(changes) == 0 && !hasBranch {
		if len(edits) == 0 && !hasPin(r, baseTip, c.Target) && c.Target.Kind != pin.Paved {
			return e.forward(ctx, c.ID, Transition{Action: "skipped", Service: s.Name}, s.Name, func(t *Service) {
				t.Status, t.Branch, t.Error, t.ErrorKind = Skipped, r.Base, "", ""
			})
		}
		if len(edits) == 0 && !hasPin(r, baseTip, c.Target) {
			return nil, failure.BadInputErr(fmt.Errorf("%w: no %s pin in %s (branch %s): %s", ErrNoPin, c.Target.Kind, redact.URL(s.Repository), r.Base, pinHint(c.Target)))
		}
		s.Status = Current
		return e.forward(ctx, c.ID, Transition{Action: "current", Service: s.Name}, s.Name, func(t *Service) {
			t.Status, t.Branch, t.Error, t.ErrorKind = Current, r.Base, "", ""
		})
	}
	if hasBranch {
		// Reuse the branch; commit on it only what it still lacks.
		changes, _, err = rewriteCommit(r, head, c.Target)
		if err != nil {
			return nil, err
		}
	} else {
		head = baseTip
	}
	if len(changes) > 0 {
		h, err := r.Write([]plumbing.Hash{head}, changes, bumpMessage(c, edits), e.sig)
		if err != nil {
			return nil, err
		}
		if err := r.Push(ctx, branch, h); err != nil {
			return nil, err
		}
		head = h
	}
	var ch fleet.Change
	if e.plain {
		// The pushed branch is the change: read it from this clone.
		ch, err = r.Change(branch)
	} else {
		ch, err = e.changes.Open(ctx, fleet.ChangeRequest{
			Repository: s.Repository, Base: r.Base, Head: branch,
			Title: title(c), Body: changeBody(c, edits), Labels: []string{"paved-campaign"},
		})
	}
	if err != nil {
		return nil, forgeErr(err)
	}
	s.Status, s.Change, s.BumpCommit = Opened, &ch, head.String()
	return e.forward(ctx, c.ID, Transition{Action: "opened", Service: s.Name, Detail: head.String()}, s.Name, func(t *Service) {
		t.Status, t.Branch, t.BumpCommit, t.Change, t.Error, t.ErrorKind = Opened, r.Base, head.String(), &ch, "", ""
		t.Health = nil // a refused merge's verdict is the old head's
		if len(edits) > 0 {
			t.Edits = edits
		}
	})
}

// ErrBranchChanged is wrapped when the campaign branch no longer ends at
// the recorded bump: paved merges only what it wrote.
var ErrBranchChanged = errors.New("the branch changed since the bump")

// sameBump refuses to merge branch unless its tip is the service's
// recorded bump.
func sameBump(r *gitrepo.Repo, branch string, s *Service) error {
	tip, _ := r.Tip(branch)
	if s.BumpCommit != "" && tip.String() == s.BumpCommit {
		return nil
	}
	return failure.BadInputErr(fmt.Errorf("merging %s into %s of %s: %w (bump %s, branch at %s): review it and merge it by hand (the next advance records the merge)",
		branch, r.Base, redact.URL(s.Repository), ErrBranchChanged, or(s.BumpCommit, "not recorded"), tip))
}

// ErrNotRunning is wrapped when an advance would record a step of a
// campaign that is no longer running (halted or rolled back meanwhile).
var ErrNotRunning = errors.New("the campaign is no longer running")

// forward records a step forward of service name: only while the campaign
// runs, so an advance racing a rollback cannot record a merge the
// rollback would miss.
func (e *Engine) forward(ctx context.Context, id string, t Transition, name string, fn func(*Service)) (*Campaign, error) {
	return e.update(ctx, id, t, name, func(c *Campaign, s *Service) error {
		if c.State != Running {
			return fmt.Errorf("recording %s of %s in campaign %q: %w (%s): the step is left to rollback", t.Action, name, id, ErrNotRunning, c.State)
		}
		fn(s)
		return nil
	})
}

// record updates service name in the stored campaign.
func (e *Engine) record(ctx context.Context, id string, t Transition, name string, fn func(*Service)) (*Campaign, error) {
	return e.update(ctx, id, t, name, func(_ *Campaign, s *Service) error { fn(s); return nil })
}

// update applies fn to service name in the stored campaign.
func (e *Engine) update(ctx context.Context, id string, t Transition, name string, fn func(*Campaign, *Service) error) (*Campaign, error) {
	c, err := e.store.Update(ctx, id, &t, func(c *Campaign) error {
		s := c.Service(name)
		if s == nil {
			return fmt.Errorf("recording %s: no service %q in campaign %q", t.Action, name, id)
		}
		return fn(c, s)
	})
	if err != nil {
		return nil, storeErr{err}
	}
	return c, nil
}

// rewriteCommit rewrites the pinned files of commit h and returns the
// changed files and the edits.
func rewriteCommit(r *gitrepo.Repo, h plumbing.Hash, t rewrite.Target) (map[string][]byte, []rewrite.Edit, error) {
	files, err := r.Files(h, pin.Wanted)
	if err != nil {
		return nil, nil, err
	}
	changes := map[string][]byte{}
	var all []rewrite.Edit
	for _, f := range files {
		out, edits, err := rewrite.File(f.Path, f.Data, t)
		if err != nil {
			return nil, nil, err
		}
		if len(edits) > 0 {
			changes[f.Path] = out
			all = append(all, edits...)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		return all[i].File < all[j].File || all[i].File == all[j].File && all[i].Line < all[j].Line
	})
	return changes, all, nil
}

// hasPin reports whether commit h has a pin the target selects.
func hasPin(r *gitrepo.Repo, h plumbing.Hash, t rewrite.Target) bool {
	files, err := r.Files(h, pin.Wanted)
	if err != nil {
		return false
	}
	for _, f := range files {
		pins, _ := pin.Scan(f.Path, f.Data)
		for _, p := range pins {
			if t.Matches(p) {
				return true
			}
		}
	}
	return false
}

func pinHint(t rewrite.Target) string {
	switch t.Kind {
	case pin.Paved:
		return "pin paved in its CI wrapper (uses: …/paved/…@vX.Y.Z) or leave it out of the fleet"
	case pin.Base:
		return "it does not build on " + t.From
	}
	return "it does not use module " + t.From
}

// forgeErr classifies a forge's error: a token without rights is bad input.
func forgeErr(err error) error {
	if errors.Is(err, fleet.ErrForbidden) && failure.KindOf(err) == failure.Internal {
		return failure.BadInputErr(fmt.Errorf("%w: give the token write access to the repository", err))
	}
	return err
}

func title(c *Campaign) string {
	switch c.Target.Kind {
	case pin.Paved:
		return "chore(paved): move to paved " + c.Target.To
	case pin.Base:
		return "chore(paved): move base " + c.Target.From + " to " + c.Target.To
	}
	return "chore(paved): move module " + c.Target.From + " to " + c.Target.To
}

func bumpMessage(c *Campaign, edits []rewrite.Edit) string {
	return title(c) + "\n\n" + changeBody(c, edits) + "\nPaved-Campaign: " + c.ID + "\n"
}

func changeBody(c *Campaign, edits []rewrite.Edit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Campaign %s moves these pins:\n\n", c.ID)
	for _, e := range edits {
		fmt.Fprintf(&b, "- %s:%d: %s -> %s\n", e.File, e.Line, e.Old, e.New)
	}
	return b.String()
}

func mergeMessage(c *Campaign, base string) string {
	return fmt.Sprintf("Merge branch '%s' into %s\n\nPaved-Campaign: %s\n", Branch(c.ID), base, c.ID)
}
