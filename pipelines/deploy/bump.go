package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/failure"
)

// BumpRequest asks to run an image in one environment of one service.
type BumpRequest struct {
	Service string
	Env     string
	// Image is the digest to run (REPO@sha256:...), parsed once where a user
	// or a file gives it (oci.ParseDigest); any repository but the service's
	// image in paved-gitops.yaml is refused, and so is a zero Digest.
	Image name.Digest
	// Version is the human version recorded and written to tag fields
	// (default: the first 12 hex digits of the digest); an image tag.
	Version string
	// SourceRevision is the commit of the service's source the image was built from.
	SourceRevision string
	// DeployedBy names who or what deploys (a user, a CI job URL).
	DeployedBy string
	// ApprovedBy is the identity that approved the change; required when the
	// environment has approval: required.
	ApprovedBy string
	// RunID and TraceID go into versions.yaml and the commit trailers.
	RunID, TraceID string
	// Unlock lifts a rollback lock (never a gate); Reason is then required
	// and recorded in the commit message.
	Unlock bool
	Reason string

	lock *Lock // set by Rollback: bypasses and sets the lock
	// slot and switchTo, set by Rollback of a blue-green service, force the
	// slot to pin and flip the Service to a slot that already runs the image.
	slot, switchTo string
	// doing names the change in messages (set by Promote and Rollback).
	doing string
}

// ErrLocked is returned (wrapped, as a policy failure) when a service is
// locked in an environment after a rollback.
var ErrLocked = errors.New("locked")

// ErrNeedsApproval is returned (wrapped, as a policy failure) when an
// environment with approval: required gets a change nobody approved.
var ErrNeedsApproval = errors.New("needs an approval")

// Bump points the service's manifests for req.Env at req.Image, records it in
// versions.yaml, and pushes one commit to the repository at repoURL. The
// image must be in its registry and pass the environment's gates (approval,
// signature, vulnerability scan), as for a promotion; a refused gate is a
// failure.PolicyErr and pushes nothing. The same bump twice makes no second
// commit (Result.Changed is false).
func Bump(ctx context.Context, repoURL string, req BumpRequest, opts ...Option) (*Result, error) {
	if err := checkBump(req); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return transact(ctx, repoURL, o, func(fsys billy.Filesystem, cfg *Config) (*plan, error) {
		return planBump(ctx, fsys, cfg, req, "bump", o)
	})
}

func checkBump(req BumpRequest) error {
	if req.Service == "" || req.Env == "" {
		return failure.BadInputErr(errors.New("a bump needs a service and an environment"))
	}
	if req.Unlock && req.Reason == "" {
		return failure.BadInputErr(errors.New("unlocking needs a reason: say why the lock is lifted"))
	}
	if err := req.check(); err != nil {
		return err
	}
	return checkDigest(req.Image)
}

// checkDigest refuses an image that is no digest: a zero name.Digest, or one
// made with name.Repository.Digest from something other than sha256:<hex>
// (v1.NewHash knows only sha256).
func checkDigest(d name.Digest) error {
	if d.DigestStr() == "" {
		return failure.BadInputErr(errors.New("a bump needs an image: give it by digest (REPO@sha256:...)"))
	}
	if _, err := v1.NewHash(d.DigestStr()); err != nil {
		return failure.BadInputErr(fmt.Errorf("image %q: give it by sha256 digest (REPO@sha256:<64 hex digits>)", d.String()))
	}
	return nil
}

// CheckRequest refuses the values of req that a bump refuses whatever the
// repository holds: a run or trace id, version, reason, approver, deployer
// or source revision that is not one line of printable text, a run id that
// could forge a commit trailer, a version that is no image tag. The image
// is not checked.
func CheckRequest(req BumpRequest) error { return req.check() }

// check refuses request values that would break a line of the commit
// message or versions.yaml, or forge a trailer.
func (req BumpRequest) check() error {
	if err := checkIDs(req.RunID, req.TraceID); err != nil {
		return err
	}
	if err := checkVersion(req.Version); err != nil {
		return err
	}
	return checkText("--reason", req.Reason, "--approved-by", req.ApprovedBy, "--deployed-by", req.DeployedBy, "--source-revision", req.SourceRevision)
}

// planBump computes the manifest and versions.yaml edits of a bump, after
// the image passes the environment's gates.
func planBump(ctx context.Context, fsys billy.Filesystem, cfg *Config, req BumpRequest, action string, o *options) (*plan, error) {
	svc, err := cfg.Service(req.Service)
	if err != nil {
		return nil, err
	}
	i, err := cfg.EnvIndex(req.Env)
	if err != nil {
		return nil, err
	}
	img, err := svc.imageFor(req.Service, req.Image, req.Version)
	if err != nil {
		return nil, err
	}
	versions, oldVersions, err := LoadVersions(fsys)
	if err != nil {
		return nil, err
	}
	cur := versions.Get(req.Service, req.Env)
	if cur != nil && cur.Lock != nil && !req.Unlock && req.lock == nil {
		return nil, failure.PolicyErr(fmt.Errorf("%s in %s is %w since %s (%s): unlock it with a reason to lift the lock", req.Service, req.Env, ErrLocked, cur.Lock.At, cur.Lock.Reason))
	}
	doing := or(req.doing, "bumping "+req.Service+" in "+req.Env)
	if err := o.admit(ctx, fsys, cfg.Environments[i], doing, req.ApprovedBy, req.Image); err != nil {
		return nil, err
	}
	t := target{name: req.Service, svc: svc, env: req.Env, known: cur.repositories()}
	slot, live, ch, err := editSlots(fsys, req, t, img)
	if err != nil {
		return nil, err
	}
	unchanged := cur != nil && cur.Digest == img.Digest && cur.Version == img.Version && cur.Image == img.Ref() && cur.Slot == slot && cur.Live == live
	if len(ch) == 0 && unchanged && (cur.Lock == nil) == (req.lock == nil) && (cur.Lock == nil || !req.Unlock) {
		return revouch(versions, oldVersions, cur, req, ch, o)
	}
	rec := versions.set(req.Service, req.Env, Record{
		Version: img.Version, Image: img.Ref(), Digest: img.Digest,
		SourceRevision: req.SourceRevision, PavedVersion: version.Get(),
		DeployedAt: o.now().UTC().Format(time.RFC3339), DeployedBy: req.DeployedBy,
		TraceID: req.TraceID, RunID: req.RunID, Slot: slot, Live: live, ApprovedBy: req.ApprovedBy,
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

// revouch is the plan of a bump to the image already deployed: nothing,
// unless another paved version or source revision produced it (a
// reproducible build of a commit that changed only the CI wrapper). Then
// the record names them, in place and without a history entry: it is what
// fleet campaigns read as the evidence that the new paved version got a
// pipeline through its gates.
func revouch(versions *Versions, old []byte, cur *Record, req BumpRequest, ch changes, o *options) (*plan, error) {
	if req.lock != nil || req.SourceRevision == "" || (cur.PavedVersion == version.Get() && cur.SourceRevision == req.SourceRevision) {
		return &plan{changes: ch, record: cur}, nil
	}
	rec := *cur
	rec.SourceRevision, rec.PavedVersion = req.SourceRevision, version.Get()
	rec.DeployedAt, rec.DeployedBy = o.now().UTC().Format(time.RFC3339), req.DeployedBy
	rec.RunID, rec.TraceID = req.RunID, req.TraceID
	versions.Services[req.Service][req.Env] = &rec
	if err := ch.addVersions(versions, old); err != nil {
		return nil, err
	}
	return &plan{changes: ch, record: &rec, message: message{
		Service: req.Service, Env: req.Env, Action: "refresh", OldVersion: cur.Version, NewVersion: rec.Version,
		Image: rec.Image, RunID: req.RunID, TraceID: req.TraceID,
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
func editSlots(fsys billy.Filesystem, req BumpRequest, t target, img Image) (slot, live string, ch changes, err error) {
	if !t.svc.BlueGreen {
		ch, err = editImage(fsys, t, img)
		return "", "", ch, err
	}
	bg, err := readSlots(fsys, t)
	if err != nil {
		return "", "", nil, err
	}
	if req.switchTo != "" {
		ch = changes{}
		return req.switchTo, req.switchTo, ch, bg.flip(ch, req.switchTo)
	}
	t.slot = req.slot
	if t.slot == "" {
		t.slot = or(bg.slotOf(img.Ref()), bg.idle())
	}
	ch, err = editImage(fsys, t, img)
	return t.slot, bg.live, ch, err
}
