package campaign

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/redact"
)

// DenyOldBase is the forced upgrade of a base campaign: it adds the old
// base to the platform policy's bases.denied, from the date from (UTC),
// with a reason naming the campaign and the new base as replacement, and
// commits the policy to its repository (the rest of the file byte for
// byte, see policy.AddDenial). paved build --policy then refuses the old
// base from that date, and warns before it. The image denied is the old
// base as the services wrote it (full repository and tag), one denial per
// distinct spelling. A policy already denying it is not an error.
func (e *Engine) DenyOldBase(ctx context.Context, id string, from time.Time) (*Campaign, error) {
	c, err := e.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return failure.BadInputErr(fmt.Errorf("denying the old base of campaign %q: "+format, append([]any{id}, a...)...))
	}
	switch {
	case c.Target.Kind != pin.Base:
		return c, bad("it moves a %s, not a base image", c.Target.Kind)
	case c.Policy == nil || c.Policy.Repository == "" || c.Policy.Path == "":
		return c, bad("no policy file: start the campaign with --policy-repo and --policy-file")
	case c.State == RolledBack:
		return c, bad("it was rolled back")
	}
	images := oldImages(c)
	day := from.UTC().Format(time.DateOnly)
	var commit plumbing.Hash
	err = gitremote.Retry(ctx, pushRetry, func(int) error {
		commit, err = e.commitDenials(ctx, c, images, day)
		return err
	})
	if err != nil {
		return c, err
	}
	denial := &Denial{Image: images[0], From: day, Commit: commit.String()}
	if commit.IsZero() {
		denial.Commit = ""
	}
	return e.store.Update(ctx, id, &Transition{Action: "denied", Detail: images[0] + " from " + day}, func(c *Campaign) error {
		if denial.Commit == "" && c.Denial != nil {
			return nil // denied by an earlier run: keep its commit
		}
		c.Denial = denial
		return nil
	})
}

// oldImages are the spellings of the old base the bumps replaced, or the
// target's From when no bump recorded one.
func oldImages(c *Campaign) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range c.Services {
		for _, e := range s.Edits {
			if !seen[e.Old] {
				seen[e.Old] = true
				out = append(out, e.Old)
			}
		}
	}
	if len(out) == 0 {
		return []string{c.Target.From}
	}
	sort.Strings(out)
	return out
}

// commitDenials adds the denials to the policy file and pushes the
// commit; the zero hash when the policy already denied every image.
func (e *Engine) commitDenials(ctx context.Context, c *Campaign, images []string, day string) (plumbing.Hash, error) {
	p := c.Policy
	r, err := gitrepo.Clone(ctx, p.Repository, p.Branch, e.auth)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tip, _ := r.Tip(r.Base)
	data, err := r.ReadFile(tip, p.Path)
	if err != nil {
		return plumbing.ZeroHash, failure.BadInputErr(err)
	}
	changed := false
	for _, img := range images {
		out, err := policy.AddDenial(data, policy.Denial{
			Image:       img,
			Reason:      fmt.Sprintf("replaced by paved campaign %s", c.ID),
			From:        day,
			Replacement: c.Target.To,
		})
		if errors.Is(err, policy.ErrAlreadyDenied) {
			continue
		}
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("editing %s in %s: %w", p.Path, redact.URL(p.Repository), err)
		}
		data, changed = out, true
	}
	if !changed {
		return plumbing.ZeroHash, nil
	}
	msg := fmt.Sprintf("policy: deny %s from %s\n\nThe base campaign %s moved the fleet to %s.\n\nPaved-Campaign: %s\nPaved-Transition: denied\n", images[0], day, c.ID, c.Target.To, c.ID)
	h, err := r.Write([]plumbing.Hash{tip}, map[string][]byte{p.Path: data}, msg, e.sig)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, r.Push(ctx, r.Base, h)
}
