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

// Promote copies the digest recorded for req.From to req.To, the next
// environment in paved-gitops.yaml, after the gates of req.To pass, as for
// a bump: the approval, then the signature and vulnerability checks of the
// Verifier. A refused gate is a failure.PolicyErr and pushes nothing.
func Promote(ctx context.Context, repoURL string, req PromoteRequest, opts ...Option) (*Result, error) {
	if req.Service == "" || req.From == "" || req.To == "" {
		return nil, failure.BadInputErr(errors.New("a promotion needs a service and the environments to promote from and to"))
	}
	if err := (BumpRequest{ApprovedBy: req.ApprovedBy, DeployedBy: req.DeployedBy, RunID: req.RunID, TraceID: req.TraceID}).check(); err != nil {
		return nil, err
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
		return planBump(ctx, fsys, cfg, BumpRequest{
			Service: req.Service, Env: req.To, Image: d, Version: src.Version, SourceRevision: src.SourceRevision,
			DeployedBy: req.DeployedBy, RunID: req.RunID, TraceID: req.TraceID, ApprovedBy: req.ApprovedBy,
			doing: "promoting " + req.Service + " to " + req.To,
		}, "promote from "+req.From+" to", o)
	})
}

func next(cfg *Config, i int) string {
	if i+1 < len(cfg.Environments) {
		return cfg.Environments[i+1].Name
	}
	return "nowhere: " + cfg.Environments[i].Name + " is the last environment"
}
