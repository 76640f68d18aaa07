package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"

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
		doing := "promoting " + req.Service + " to " + env.Name
		if err := checkGates(ctx, fsys, env, doing, req.ApprovedBy, d, o.verifier); err != nil {
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

// checkGates enforces the approval and the verifier's checks of env on
// image. doing names the change for messages ("promoting api to prod").
func checkGates(ctx context.Context, fsys billy.Filesystem, env Environment, doing, approvedBy string, image name.Digest, v Verifier) error {
	if env.Approval == "required" && approvedBy == "" {
		return failure.PolicyErr(fmt.Errorf("%s needs an approval (%s: approval: required): give --approved-by", doing, ConfigFile))
	}
	if env.Gates.Empty() {
		return nil
	}
	if v == nil {
		return failure.PolicyErr(fmt.Errorf("%s: %w, and %s gates it on signatures or vulnerability scans: configure signature verification", doing, ErrNoVerifier, env.Name))
	}
	gate, err := loadGateKey(fsys, env)
	if err != nil {
		return err
	}
	if err := v.Verify(ctx, image, gate); err != nil {
		if failure.KindOf(err) == failure.Internal {
			err = failure.PolicyErr(err)
		}
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// loadGateKey returns env's gate with the signature key read from the
// repository when it names a file there; a missing key file is bad input,
// never a silent fallback to a file of the same name elsewhere.
func loadGateKey(fsys billy.Filesystem, env Environment) (Gate, error) {
	gate := env.Gates
	if !gate.KeyInRepository() {
		return gate, nil
	}
	data, err := readFile(fsys, path.Clean(gate.SignatureKey))
	if errors.Is(err, fs.ErrNotExist) {
		return gate, failure.BadInputErr(fmt.Errorf("reading signature key %s of environment %s: no such file in the GitOps repository: commit the public key there or fix signature_key in %s", gate.SignatureKey, env.Name, ConfigFile))
	}
	if err != nil {
		return gate, fmt.Errorf("reading signature key %s: %w", gate.SignatureKey, err)
	}
	gate.SignatureKeyData = data
	return gate, nil
}
