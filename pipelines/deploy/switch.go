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

// SwitchRequest asks to move a blue-green service's traffic to one slot.
type SwitchRequest struct {
	Service, Env string
	// To is blue or green; empty means the idle slot (the one the Service
	// does not select).
	To string
	// ApprovedBy is the identity that approved the switch; required when the
	// environment has approval: required.
	ApprovedBy string
	// SwitchedBy names who or what switches; recorded with the time.
	SwitchedBy     string
	RunID, TraceID string
}

// Switch points the Service of a blue-green service in req.Env at the slot
// req.To, after the image that slot runs passes the environment's gates (the
// same as a promotion into it: approval, signature, vulnerability scan). A
// service locked by a rollback is refused: the switch would undo it. It
// changes the Service's selector and versions.yaml's live slot, nothing
// else, in one commit. Switching to the live slot changes nothing.
func Switch(ctx context.Context, repoURL string, req SwitchRequest, opts ...Option) (*Result, error) {
	if req.Service == "" || req.Env == "" {
		return nil, failure.BadInputErr(errors.New("a switch needs a service and an environment"))
	}
	if req.To != "" && req.To != SlotBlue && req.To != SlotGreen {
		return nil, failure.BadInputErr(fmt.Errorf("switching to %q: switch to blue or green", req.To))
	}
	if err := (BumpRequest{ApprovedBy: req.ApprovedBy, DeployedBy: req.SwitchedBy, RunID: req.RunID, TraceID: req.TraceID}).check(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return transact(ctx, repoURL, o, func(fsys billy.Filesystem, cfg *Config) (*plan, error) {
		return planSwitch(ctx, fsys, cfg, req, o)
	})
}

func planSwitch(ctx context.Context, fsys billy.Filesystem, cfg *Config, req SwitchRequest, o *options) (*plan, error) {
	svc, err := cfg.Service(req.Service)
	if err != nil {
		return nil, err
	}
	if !svc.BlueGreen {
		return nil, failure.BadInputErr(fmt.Errorf("switching %s: it is not blue_green in %s: bump it instead", req.Service, ConfigFile))
	}
	i, err := cfg.EnvIndex(req.Env)
	if err != nil {
		return nil, err
	}
	versions, oldVersions, err := LoadVersions(fsys)
	if err != nil {
		return nil, err
	}
	cur := versions.Get(req.Service, req.Env)
	if cur == nil {
		return nil, failure.BadInputErr(fmt.Errorf("%s records nothing for %s in %s: bump it there first", VersionsFile, req.Service, req.Env))
	}
	bg, err := readSlots(fsys, target{name: req.Service, svc: svc, env: req.Env, known: cur.repositories()})
	if err != nil {
		return nil, err
	}
	to := or(req.To, bg.idle())
	if to == bg.live && cur.Live == to {
		return &plan{changes: changes{}, record: cur}, nil
	}
	doing := fmt.Sprintf("switching %s in %s to %s", req.Service, req.Env, to)
	if cur.Lock != nil {
		return nil, failure.PolicyErr(fmt.Errorf("%s: %s in %s is %w since %s (%s): a switch would undo the rollback: unlock it with a reason first", doing, req.Service, req.Env, ErrLocked, cur.Lock.At, cur.Lock.Reason))
	}
	d, err := oci.ParseDigest(bg.images[to])
	if err != nil {
		return nil, failure.PolicyErr(fmt.Errorf("%s: Deployment %s-%s runs %s, not an image by digest: bump it first", doing, req.Service, to, bg.images[to]))
	}
	if err := o.admit(ctx, fsys, cfg.Environments[i], doing, req.ApprovedBy, d); err != nil {
		return nil, err
	}
	ch := changes{}
	if to != bg.live {
		if err := bg.flip(ch, to); err != nil {
			return nil, err
		}
	}
	rec := *cur
	rec.Live, rec.SwitchedBy = to, req.SwitchedBy
	rec.SwitchedAt = o.now().UTC().Format(time.RFC3339)
	if req.ApprovedBy != "" {
		rec.ApprovedBy = req.ApprovedBy
	}
	versions.Services[req.Service][req.Env] = &rec
	if err := ch.addVersions(versions, oldVersions); err != nil {
		return nil, err
	}
	return &plan{changes: ch, record: &rec, message: message{
		Service: req.Service, Env: req.Env, Action: "switch", OldVersion: bg.live, NewVersion: to,
		Image: bg.images[to], RunID: req.RunID, TraceID: req.TraceID,
	}}, nil
}
