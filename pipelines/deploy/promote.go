package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-billy/v5"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// PromoteRequest asks to run in environment To exactly what runs in From.
type PromoteRequest struct {
	Service  string
	From, To string
	// ApprovedBy is the identity that approved the promotion; required when
	// the target environment has approval: required.
	ApprovedBy string
	// DeployedBy, RunID and TraceID are recorded as for a bump.
	DeployedBy     string
	RunID, TraceID string
}

// ErrNoVerifier is returned (wrapped, as a policy failure) when an
// environment has signature or vulnerability gates and no Verifier was given.
var ErrNoVerifier = errors.New("no gate verifier configured")

// Promote copies the digest recorded for req.From to req.To, the next
// environment in paved-gitops.yaml, after the gates of req.To pass: the
// approval, then the signature and vulnerability checks of the Verifier
// (WithVerifier). A refused gate is a failure.PolicyErr and pushes nothing.
func Promote(ctx context.Context, repoURL string, req PromoteRequest, opts ...Option) (*Result, error) {
	if req.Service == "" || req.From == "" || req.To == "" {
		return nil, failure.BadInputErr(errors.New("a promotion needs --service, --from and --to"))
	}
	o := newOptions(opts)
	return transact(ctx, repoURL, o, func(fsys billy.Filesystem, cfg *Config) (*plan, error) {
		from, err := cfg.EnvIndex(req.From)
		if err != nil {
			return nil, err
		}
		to, err := cfg.EnvIndex(req.To)
		if err != nil {
			return nil, err
		}
		if to != from+1 {
			return nil, failure.PolicyErr(fmt.Errorf("promoting %s from %s to %s skips or reverses the order in %s: promote to %s", req.Service, req.From, req.To, ConfigFile, next(cfg, from)))
		}
		versions, _, err := LoadVersions(fsys)
		if err != nil {
			return nil, err
		}
		src := versions.Get(req.Service, req.From)
		if src == nil {
			return nil, failure.BadInputErr(fmt.Errorf("%s records nothing for %s in %s: bump it there first", VersionsFile, req.Service, req.From))
		}
		d, err := oci.ParseDigest(src.Image)
		if err != nil {
			return nil, fmt.Errorf("reading %s, %s in %s: %w", VersionsFile, req.Service, req.From, err)
		}
		env := cfg.Environments[to]
		if err := checkGates(ctx, fsys, env, req, d.String(), o.verifier); err != nil {
			return nil, err
		}
		return planBump(fsys, cfg, BumpRequest{
			Service: req.Service, Env: req.To, Image: src.Image, Version: src.Version, SourceRevision: src.SourceRevision,
			DeployedBy: req.DeployedBy, RunID: req.RunID, TraceID: req.TraceID, approvedBy: req.ApprovedBy,
		}, d, "promote from "+req.From+" to", o.now())
	})
}

func next(cfg *Config, i int) string {
	if i+1 < len(cfg.Environments) {
		return cfg.Environments[i+1].Name
	}
	return "nowhere: " + cfg.Environments[i].Name + " is the last environment"
}

// checkGates enforces the approval and the verifier's checks of env.
func checkGates(ctx context.Context, fsys billy.Filesystem, env Environment, req PromoteRequest, image string, v Verifier) error {
	if env.Approval == "required" && req.ApprovedBy == "" {
		return failure.PolicyErr(fmt.Errorf("promoting %s to %s needs an approval (%s: approval: required): give --approved-by", req.Service, env.Name, ConfigFile))
	}
	if env.Gates.Empty() {
		return nil
	}
	if v == nil {
		return failure.PolicyErr(fmt.Errorf("promoting %s to %s: %w, and %s gates it on signatures or vulnerability scans: configure signature verification", req.Service, env.Name, ErrNoVerifier, env.Name))
	}
	gate := env.Gates
	if gate.SignatureKey != "" {
		if data, err := readFile(fsys, gate.SignatureKey); err == nil {
			gate.SignatureKeyData = data
		}
	}
	d, err := oci.ParseDigest(image)
	if err != nil {
		return err
	}
	if err := v.Verify(ctx, d, gate); err != nil {
		if failure.KindOf(err) == failure.Internal {
			err = failure.PolicyErr(err)
		}
		return fmt.Errorf("promoting %s to %s: %w", req.Service, env.Name, err)
	}
	return nil
}
