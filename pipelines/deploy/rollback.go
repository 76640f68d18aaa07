package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-billy/v5"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// RollbackRequest asks to run an earlier deployment again and lock the
// service in the environment.
type RollbackRequest struct {
	Service, Env string
	// ToVersion or ToDigest picks the history entry; with neither, the most
	// recent entry with a digest other than the current one is used.
	ToVersion, ToDigest string
	// Reason is recorded in the lock.
	Reason string
	// ApprovedBy is the identity that approved the rollback; required when
	// the environment has approval: required.
	ApprovedBy     string
	DeployedBy     string
	RunID, TraceID string
}

// Rollback pins the service's manifests for req.Env to an earlier digest from
// its versions.yaml history, in a forward commit (never a force push), and
// locks the service there. A blue-green service whose other slot still runs
// that digest is switched back to it instead; otherwise its live slot is
// pinned. The digest returned to must pass the environment's gates as it
// stands now, as for a bump: a digest that ran here before may since have
// gone stale or lost its signature key. It locks the service: Bump refuses
// it until a bump with Unlock and a Reason.
func Rollback(ctx context.Context, repoURL string, req RollbackRequest, opts ...Option) (*Result, error) {
	if req.Service == "" || req.Env == "" {
		return nil, failure.BadInputErr(errors.New("a rollback needs a service and an environment"))
	}
	if req.Reason == "" {
		req.Reason = "rollback"
	}
	if err := (BumpRequest{Reason: req.Reason, ApprovedBy: req.ApprovedBy, DeployedBy: req.DeployedBy, RunID: req.RunID, TraceID: req.TraceID}).check(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return transact(ctx, repoURL, o, func(fsys billy.Filesystem, cfg *Config) (*plan, error) {
		versions, _, err := LoadVersions(fsys)
		if err != nil {
			return nil, err
		}
		cur := versions.Get(req.Service, req.Env)
		if cur == nil {
			return nil, failure.BadInputErr(fmt.Errorf("%s records nothing for %s in %s: nothing to roll back", VersionsFile, req.Service, req.Env))
		}
		target, err := pick(cur, req)
		if err != nil {
			return nil, err
		}
		d, err := oci.ParseDigest(target.Image)
		if err != nil {
			return nil, fmt.Errorf("reading %s history of %s in %s: %w", VersionsFile, req.Service, req.Env, err)
		}
		br := BumpRequest{
			Service: req.Service, Env: req.Env, Image: d, Version: target.Version,
			DeployedBy: req.DeployedBy, ApprovedBy: req.ApprovedBy, RunID: req.RunID, TraceID: req.TraceID,
			lock:  &Lock{Reason: req.Reason, By: req.DeployedBy, At: o.now().UTC().Format(time.RFC3339)},
			doing: "rolling back " + req.Service + " in " + req.Env + " to " + target.Version,
		}
		if err := rollbackSlot(fsys, cfg, &br); err != nil {
			return nil, err
		}
		return planBump(ctx, fsys, cfg, br, "rollback", o)
	})
}

// rollbackSlot decides how a blue-green service returns to br.Image: when a
// slot still runs it, the Service is pointed there (no image changes); when
// none does, the live slot is pinned to it in place, as for other services.
func rollbackSlot(fsys billy.Filesystem, cfg *Config, br *BumpRequest) error {
	svc, err := cfg.Service(br.Service)
	if err != nil || !svc.BlueGreen {
		return err
	}
	bg, err := readSlots(fsys, target{name: br.Service, svc: svc, env: br.Env, known: []string{br.Image.Context().Name()}})
	if err != nil {
		return err
	}
	switch s := bg.slotOf(br.Image.String()); s {
	case "":
		br.slot = bg.live
	case bg.live:
		br.slot = s
	default:
		br.slot, br.switchTo = s, s
	}
	return nil
}

// pick finds the history entry a rollback returns to.
func pick(cur *Record, req RollbackRequest) (*Deployment, error) {
	for i := range cur.History {
		h := &cur.History[i]
		switch {
		case req.ToVersion != "" && h.Version == req.ToVersion,
			req.ToDigest != "" && h.Digest == req.ToDigest,
			req.ToVersion == "" && req.ToDigest == "" && h.Digest != cur.Digest:
			return h, nil
		}
	}
	want := "an earlier digest"
	if req.ToVersion != "" || req.ToDigest != "" {
		want = "version " + req.ToVersion + req.ToDigest
	}
	return nil, failure.BadInputErr(fmt.Errorf("%s history of %s in %s has no %s: give a version or a digest from it", VersionsFile, req.Service, req.Env, want))
}
