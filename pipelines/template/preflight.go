package template

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/source"
	"github.com/paved-dev/paved/pipelines/template/service"
	"github.com/paved-dev/paved/pipelines/vuln"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// What a run lacks before it starts, wrapped as bad input; the message says
// which paved.yaml key gives it.
var (
	ErrNoSigningKey = errors.New("no signing key")
	ErrNoPublicKey  = errors.New("no public key")
	ErrNoGitOpsRepo = errors.New("no GitOps repository")
	ErrNoRevision   = errors.New("no source revision")
)

// DefaultEnv is the environment deployed to when neither --env nor
// gitops.environments names one.
const DefaultEnv = "dev"

// preflight checks every input before the first write: the policy and
// paved's version, the targets, the source, the ignore file, the
// vulnerability database, the signing and public keys (loaded and
// decrypted), and the GitOps repository (reached, and the bump planned
// without a commit).
func (r *run) preflight(ctx context.Context) (record.Outputs, error) {
	var out record.Outputs
	for _, check := range []func(context.Context) error{
		r.loadPolicy, r.resolveTargets, r.resolveSource, r.checkDeploy, r.loadIgnores, r.checkDB, r.checkKeys, r.checkGitOps,
	} {
		if err := check(ctx); err != nil {
			return out, err
		}
	}
	out.Warnings = r.rec.Warnings
	return out, nil
}

func (r *run) loadIgnores(context.Context) error {
	f := r.cfg.IgnoreFile()
	if f == "" {
		return nil
	}
	ig, err := vuln.LoadIgnoreFile(f)
	r.ignores = ig
	return err
}

// checkDB checks the vulnerability database as the scan will open it.
func (r *run) checkDB(context.Context) error {
	if r.o.dbDir == "" {
		return failure.BadInputErr(fmt.Errorf("%w (see paved db)", scan.ErrNoDB))
	}
	_, err := vulndb.Check(r.o.dbDir, r.o.dbMaxAge, r.o.now())
	return err
}

// checkKeys loads and decrypts the signing key (asking for its password,
// once for the whole run: sign, attest and record reuse it) and loads the
// public key.
func (r *run) checkKeys(ctx context.Context) error {
	opts, err := r.signOptions(ctx)
	if err != nil {
		return err
	}
	return sign.CheckKeys(ctx, r.publicKey, opts...)
}

// checkGitOps reaches the GitOps repository and plans the bump of a
// placeholder digest without committing: an unreachable repository,
// refused credentials, an unknown service or environment, a locked service,
// a missing approval or a manifest the layout cannot edit fail here, before
// anything is pushed. The image's own gates are checked at the deploy.
func (r *run) checkGitOps(ctx context.Context) error {
	if r.o.skipDeploy {
		return nil
	}
	req := r.bumpRequest()
	req.Image = r.repo.Digest(placeholderDigest)
	_, err := deploy.Bump(ctx, r.gitopsRepo, req, append(r.bumpOptions(), deploy.WithPreflight())...)
	return err
}

// placeholderDigest stands for the image in the preflight's dry-run bump.
const placeholderDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// bumpOptions are the GitOps options of the deploy and of its preflight.
func (r *run) bumpOptions() []deploy.Option {
	opts := []deploy.Option{deploy.WithClock(r.o.now), deploy.WithKeychain(r.o.keychain), deploy.WithTransport(r.o.transport)}
	if r.cfg.GitOps.Branch != "" {
		opts = append(opts, deploy.WithBranch(r.cfg.GitOps.Branch))
	}
	return append(opts, r.o.deployOpts...)
}

// loadPolicy loads the platform policy and checks paved's own version
// against it.
func (r *run) loadPolicy(ctx context.Context) error {
	if r.cfg.Policy == "" {
		return nil
	}
	p, err := policy.Load(ctx, r.cfg.Path(r.cfg.Policy), r.o.httpClient)
	if err != nil {
		return err
	}
	d, err := p.CheckVersion(r.o.pavedVersion, r.o.now())
	for _, w := range d.Warnings {
		r.warn(w)
	}
	r.policy = p
	return err
}

// resolveTargets applies the overrides to the image repository, the base,
// the environment, the keys and the GitOps repository.
func (r *run) resolveTargets(context.Context) error {
	repo, base, err := overrideRegistry(r.cfg.Image.Repository, r.cfg.Build.Base, r.o.registry)
	if err != nil {
		return err
	}
	r.repo, r.base = repo, base
	r.buildArgs = overrideBuildArgs(r.cfg.Build.BuildArgs, r.cfg.Image.Repository, r.o.registry)
	envs := r.cfg.GitOps.Environments
	r.env = r.o.env
	if r.env == "" && len(envs) > 0 {
		r.env = envs[0]
	}
	if r.env == "" {
		r.env = DefaultEnv
	}
	if len(envs) > 0 && !slices.Contains(envs, r.env) {
		return failure.BadInputErr(fmt.Errorf("environment %q is not in gitops.environments of %s (%s)", r.env, r.cfg.File, strings.Join(envs, ", ")))
	}
	r.rec.Env = r.env
	r.key = orDefault(r.o.key, r.cfg.Path(r.cfg.Signing.Key))
	if r.key == "" {
		return failure.BadInputErr(fmt.Errorf("%w: set signing.key in %s", ErrNoSigningKey, r.cfg.File))
	}
	r.publicKey = orDefault(r.o.publicKey, service.PublicKey(r.key, r.cfg.Path(r.cfg.Signing.PublicKey)))
	if r.publicKey == "" {
		return failure.BadInputErr(fmt.Errorf("%w to verify %q with: set signing.publicKey in %s", ErrNoPublicKey, r.key, r.cfg.File))
	}
	r.o.password = once(r.o.password)
	r.gitopsRepo = r.o.gitopsRepo
	if r.gitopsRepo == "" {
		r.gitopsRepo = gitURL(r.cfg, r.cfg.GitOps.Repository)
	}
	if r.gitopsRepo == "" && !r.o.skipDeploy {
		return failure.BadInputErr(fmt.Errorf("%w: set gitops.repository in %s, or skip the deploy", ErrNoGitOpsRepo, r.cfg.File))
	}
	return nil
}

// resolveSource reads the source revision, its URL and its commit time.
func (r *run) resolveSource(context.Context) error {
	info, err := source.Inspect(r.cfg.Dir)
	if err != nil && !errors.Is(err, source.ErrNotRepository) {
		return failure.BadInputErr(err)
	}
	if info == nil {
		info = &source.Info{}
	}
	url := orDefault(r.o.sourceURL, info.URL)
	rev := orDefault(r.o.revision, info.Revision)
	if rev == "" {
		return failure.BadInputErr(fmt.Errorf("%w: %s is not in a git repository (the revision goes into the provenance); commit it", ErrNoRevision, r.cfg.Dir))
	}
	if url == "" {
		// A repository without an origin: name it by its revision so the
		// provenance still has a source.
		url = "git+unknown-origin://" + r.cfg.Name
	}
	r.rec.Source = record.Source{Repository: source.StripCredentials(url), Revision: rev}
	r.created = time.Unix(0, 0).UTC()
	if !info.Time.IsZero() {
		r.created = info.Time
	}
	if r.o.created != nil {
		r.created = r.o.created.UTC()
	}
	r.version = r.o.version
	if r.version == "" {
		r.version = rev[:min(12, len(rev))]
	}
	return nil
}

// overrideRegistry puts repo, and base when it is on repo's registry, on
// the registry host.
func overrideRegistry(repo, base, host string) (name.Repository, string, error) {
	rp, err := name.NewRepository(repo)
	if err != nil {
		return name.Repository{}, "", failure.BadInputErr(fmt.Errorf("parsing image.repository %q: %w", repo, err))
	}
	if host == "" {
		return rp, base, nil
	}
	reg, err := name.NewRegistry(host, name.Insecure)
	if err != nil {
		return name.Repository{}, "", failure.BadInputErr(fmt.Errorf("parsing registry %q: %w", host, err))
	}
	orig := rp.RegistryStr()
	rp.Registry = reg
	if base != "" {
		if b, err := name.ParseReference(base); err == nil && b.Context().RegistryStr() == orig {
			base = host + strings.TrimPrefix(base, orig)
		}
	}
	return rp, base, nil
}

// overrideBuildArgs moves build-arg values that are image references on
// repo's registry (a Dockerfile's "ARG BASE=…") to the registry host, as
// overrideRegistry does for a Go service's base.
func overrideBuildArgs(args map[string]string, repo, host string) map[string]string {
	if host == "" || len(args) == 0 {
		return args
	}
	out := make(map[string]string, len(args))
	for k, v := range args {
		out[k] = v
		if _, moved, err := overrideRegistry(repo, v, host); err == nil {
			out[k] = moved
		}
	}
	return out
}

// scpLike matches git's user@host:path remote syntax.
var scpLike = regexp.MustCompile(`^[\w.-]+@[\w.-]+:`)

// gitURL resolves a repository URL of paved.yaml: URLs and user@host:path
// stay, paths are relative to the paved.yaml directory.
func gitURL(cfg interface{ Path(string) string }, u string) string {
	if u == "" || scpLike.MatchString(u) {
		return u
	}
	return cfg.Path(u)
}

// once makes a password function ask at most once, as sign and attest run
// concurrently and a prompt must not appear twice.
func once(pf sign.PassFunc) sign.PassFunc {
	if pf == nil {
		return nil
	}
	var (
		o   sync.Once
		pw  []byte
		err error
	)
	return func() ([]byte, error) {
		o.Do(func() { pw, err = pf() })
		return pw, err
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
