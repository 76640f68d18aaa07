package admission

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

// Rules is what the admission policies of a GitOps repository enforce.
type Rules struct {
	// Environments in promotion order.
	Environments []Environment
	// Bases are the platform policy's rules for the base image recorded in
	// an image's provenance.
	Bases Bases
}

// Bases are the base-image rules of the platform policy.
type Bases struct {
	// Allowed are repository globs (path.Match syntax, a trailing "/*" also
	// allows deeper paths); empty allows every repository.
	Allowed []string
	// Denied are the denials, in the policy's order.
	Denied []DeniedBase
}

// DeniedBase is one denial of the platform policy, parsed.
type DeniedBase struct {
	// Image is the denial as the policy writes it, for messages.
	Image string
	// Target is what it names: repository, digest, tag.
	policy.Target
	// From is when the denial starts; zero is always.
	From time.Time
	// Reason and Replacement are the policy's.
	Reason, Replacement string
}

// Environment is one environment's admission rules.
type Environment struct {
	// Name is the environment's name in paved-gitops.yaml.
	Name string
	// Scope is where in a cluster the policies apply.
	Scope Scope
	// Repositories are the image repositories of the services in
	// paved-gitops.yaml, as written there, sorted.
	Repositories []string
	// Key verifies signatures and attestations; nil when the environment
	// has no signature_key (only the digest and repository rules apply).
	Key *Key
	// Vulnerability requires a passing vulnerability attestation.
	Vulnerability bool
	// MaxScanAge bounds that scan's age; zero is no bound.
	MaxScanAge time.Duration
}

// Scope says which workloads an environment's policies apply to: those in
// Namespaces, those whose labels match Labels, or with Cluster every one.
// The zero Scope is the format's default: the namespace named like the
// environment for Kyverno, the whole cluster for policy-controller (which
// cannot scope a policy to namespaces).
type Scope struct {
	Namespaces []string
	Labels     map[string]string
	Cluster    bool
}

// namespaces returns the namespaces env's Kyverno policies match; none is
// every namespace.
func (s Scope) namespaces(env string) []string {
	if !s.Cluster && len(s.Namespaces) == 0 && len(s.Labels) == 0 {
		return []string{env}
	}
	return s.Namespaces
}

// Key is an environment's public key: PEM data, or a KMS key reference.
type Key struct {
	// Ref is the signature_key of paved-gitops.yaml, for messages.
	Ref string
	// PEM is the public key (PKIX, PEM) when the key is a file of the
	// repository.
	PEM string
	// KMS is the key URI (awskms://, gcpkms://, azurekms://, hashivault://)
	// when the key lives in a KMS.
	KMS string
}

// Derive reads the admission rules from a GitOps repository's
// configuration and the platform policy. keys reads a file of the GitOps
// repository (an environment's signature_key). Environments are all of
// cfg's unless WithEnvironments names some; each has the format's default
// scope unless WithScope gives one. Problems in the
// inputs are bad input naming the environment, service or denial.
func Derive(cfg *deploy.Config, p *policy.Policy, keys func(path string) ([]byte, error), opts ...Option) (*Rules, error) {
	o := options{scopes: map[string]Scope{}}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(cfg); err != nil {
		return nil, err
	}
	repos, err := repositories(cfg)
	if err != nil {
		return nil, err
	}
	r := &Rules{}
	if p != nil {
		if r.Bases, err = bases(p.Bases); err != nil {
			return nil, err
		}
	}
	for _, e := range cfg.Environments {
		if len(o.envs) > 0 && !slices.Contains(o.envs, e.Name) {
			continue
		}
		env, err := environment(e, o.scope(e.Name), keys)
		if err != nil {
			return nil, err
		}
		env.Repositories = repos
		r.Environments = append(r.Environments, env)
	}
	return r, nil
}

// repositories returns the services' image repositories, sorted.
func repositories(cfg *deploy.Config) ([]string, error) {
	set := map[string]bool{}
	for svc, s := range cfg.Services {
		img := strings.TrimSpace(s.Image)
		if img == "" {
			return nil, failure.BadInputErr(fmt.Errorf("service %q in %s has no image: add image: REGISTRY/NAME so that admission allows its repository", svc, deploy.ConfigFile))
		}
		if _, err := name.NewRepository(img, name.StrictValidation); err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("service %q in %s: image %q is not a repository (REGISTRY/NAME, no tag or digest): %w", svc, deploy.ConfigFile, img, err))
		}
		set[img] = true
	}
	if len(set) == 0 {
		return nil, failure.BadInputErr(fmt.Errorf("%s lists no services: admission would allow no image", deploy.ConfigFile))
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// bases parses the platform policy's base rules.
func bases(b policy.Bases) (Bases, error) {
	out := Bases{Allowed: append([]string(nil), b.Allowed...)}
	for i, den := range b.Denied {
		t, err := den.Target()
		if err != nil {
			return Bases{}, failure.BadInputErr(fmt.Errorf("platform policy bases.denied[%d]: %w", i, err))
		}
		from, err := den.Since()
		if err != nil {
			return Bases{}, failure.BadInputErr(fmt.Errorf("platform policy bases.denied[%d] (%s): from %q is not a date or RFC 3339 time", i, den.Image, den.From))
		}
		out.Denied = append(out.Denied, DeniedBase{Image: strings.TrimSpace(den.Image), Target: t, From: from.UTC(), Reason: den.Reason, Replacement: den.Replacement})
	}
	return out, nil
}

// environment reads one environment's gates.
func environment(e deploy.Environment, scope Scope, keys func(string) ([]byte, error)) (Environment, error) {
	env := Environment{Name: e.Name, Scope: scope}
	age, err := e.Gates.ScanAge()
	if err != nil {
		return env, failure.BadInputErr(fmt.Errorf("environment %q: %w", e.Name, err))
	}
	env.MaxScanAge = age
	env.Vulnerability = e.Gates.VulnerabilityScan || age > 0
	if e.Gates.SignatureKey == "" {
		return env, nil
	}
	env.Key, err = readKey(e.Name, e.Gates.SignatureKey, keys)
	return env, err
}
