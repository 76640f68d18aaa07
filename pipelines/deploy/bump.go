package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// BumpRequest asks to run an image in one environment of one service.
type BumpRequest struct {
	Service string
	Env     string
	// Image is REPO@sha256:...; a tag is refused.
	Image string
	// Version is the human version recorded and written to tag fields
	// (default: the first 12 hex digits of the digest).
	Version string
	// SourceRevision is the commit of the service's source the image was built from.
	SourceRevision string
	// DeployedBy names who or what deploys (a user, a CI job URL).
	DeployedBy string
	// RunID and TraceID go into versions.yaml and the commit trailers.
	RunID, TraceID string
	// Unlock lifts a rollback lock; Reason is then required and recorded in
	// the commit message.
	Unlock bool
	Reason string

	approvedBy string // set by Promote
	lock       *Lock  // set by Rollback: bypasses and sets the lock
	// slot and switchTo, set by Rollback of a blue-green service, force the
	// slot to pin and flip the Service to a slot that already runs the image.
	slot, switchTo string
}

// ErrLocked is returned (wrapped, as a policy failure) when a service is
// locked in an environment after a rollback.
var ErrLocked = errors.New("locked")

// Bump points the service's manifests for req.Env at req.Image, records it in
// versions.yaml, and pushes one commit to the repository at repoURL. The same
// bump twice makes no second commit (Result.Changed is false).
func Bump(ctx context.Context, repoURL string, req BumpRequest, opts ...Option) (*Result, error) {
	d, err := checkBump(req)
	if err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return transact(ctx, repoURL, o, func(fsys billy.Filesystem, cfg *Config) (*plan, error) {
		return planBump(fsys, cfg, req, d, "bump", o.now())
	})
}

func checkBump(req BumpRequest) (name.Digest, error) {
	if req.Service == "" || req.Env == "" {
		return name.Digest{}, failure.BadInputErr(errors.New("a bump needs --service and --env"))
	}
	if req.Unlock && req.Reason == "" {
		return name.Digest{}, failure.BadInputErr(errors.New("--unlock needs --reason: say why the lock is lifted"))
	}
	return oci.ParseDigest(req.Image)
}

// planBump computes the manifest and versions.yaml edits of a bump.
func planBump(fsys billy.Filesystem, cfg *Config, req BumpRequest, d name.Digest, action string, now time.Time) (*plan, error) {
	svc, err := cfg.Service(req.Service)
	if err != nil {
		return nil, err
	}
	if _, err := cfg.EnvIndex(req.Env); err != nil {
		return nil, err
	}
	versions, oldVersions, err := LoadVersions(fsys)
	if err != nil {
		return nil, err
	}
	cur := versions.Get(req.Service, req.Env)
	if cur != nil && cur.Lock != nil && !req.Unlock && req.lock == nil {
		return nil, failure.PolicyErr(fmt.Errorf("%s in %s is %w since %s (%s): bump with --unlock --reason to lift the lock", req.Service, req.Env, ErrLocked, cur.Lock.At, cur.Lock.Reason))
	}
	img := imageOf(d, req.Version)
	if img.Version == "" {
		img.Version = d.DigestStr()[len("sha256:"):][:12]
	}
	slot, live, ch, err := editSlots(fsys, req, svc, img)
	if err != nil {
		return nil, err
	}
	unchanged := cur != nil && cur.Digest == img.Digest && cur.Version == img.Version && cur.Image == img.Ref() && cur.Slot == slot && cur.Live == live
	if len(ch) == 0 && unchanged && (cur.Lock == nil) == (req.lock == nil) && (cur.Lock == nil || !req.Unlock) {
		return &plan{changes: ch, record: cur}, nil
	}
	rec := versions.set(req.Service, req.Env, Record{
		Version: img.Version, Image: img.Ref(), Digest: img.Digest,
		SourceRevision: req.SourceRevision, PavedVersion: version.Get(),
		DeployedAt: now.UTC().Format(time.RFC3339), DeployedBy: req.DeployedBy,
		TraceID: req.TraceID, RunID: req.RunID, Slot: slot, Live: live, ApprovedBy: req.approvedBy,
	})
	if req.lock != nil {
		rec.Lock = req.lock
	}
	if req.Unlock {
		rec.Lock = nil
		action += " (unlock: " + req.Reason + ")"
	}
	if err := ch.addVersions(versions, oldVersions); err != nil {
		return nil, err
	}
	old := "none"
	if cur != nil {
		old = cur.Version
	}
	return &plan{changes: ch, record: rec, message: message{
		Service: req.Service, Env: req.Env, Action: action, OldVersion: old, NewVersion: img.Version,
		Image: img.Ref(), RunID: req.RunID, TraceID: req.TraceID,
	}}, nil
}

// addVersions adds versions.yaml to the change set when it changed.
func (c changes) addVersions(v *Versions, old []byte) error {
	data, err := v.Marshal()
	if err != nil {
		return err
	}
	if string(data) != string(old) {
		c[VersionsFile] = &fileChange{Path: VersionsFile, Old: old, New: data}
	}
	return nil
}

// editSlots edits the manifests for a bump. For a blue-green service it
// writes the idle slot (the one the Service does not select), unless a slot
// already runs the image, and returns the slot written and the live slot.
func editSlots(fsys billy.Filesystem, req BumpRequest, svc *Service, img Image) (slot, live string, ch changes, err error) {
	if !svc.BlueGreen {
		ch, err = editImage(fsys, req.Service, svc, req.Env, img, "")
		return "", "", ch, err
	}
	bg, err := readSlots(fsys, req.Service, svc, req.Env)
	if err != nil {
		return "", "", nil, err
	}
	if req.switchTo != "" {
		ch = changes{}
		return req.switchTo, req.switchTo, ch, bg.flip(ch, req.switchTo)
	}
	slot = req.slot
	if slot == "" {
		slot = or(bg.slotOf(img.Ref()), bg.idle())
	}
	ch, err = editImage(fsys, req.Service, svc, req.Env, img, slot)
	return slot, bg.live, ch, err
}
