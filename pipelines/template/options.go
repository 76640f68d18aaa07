package template

import (
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/sign"
)

// Option configures BuildScanDeploy.
type Option func(*options)

type options struct {
	env            string
	registry       string
	dbDir          string
	dbMaxAge       time.Duration
	key, publicKey string
	password       sign.PassFunc
	gitopsRepo     string
	deployOpts     []deploy.Option
	skipDeploy     bool
	buildkit       *build.BuildKitConfig
	keychain       authn.Keychain
	transport      http.RoundTripper
	created        *time.Time
	now            func() time.Time
	tracer         trace.TracerProvider
	observer       Observer
	runID          string
	deployedBy     string
	approvedBy     string
	version        string
	pavedVersion   string
	sourceURL      string
	revision       string
	reportDir      string
	goEnv          []string
	httpClient     *http.Client
	noTraceAnn     bool
	layerCache     *sbom.LayerCache
}

func newOptions(opts []Option) *options {
	o := &options{
		keychain:     authn.DefaultKeychain,
		now:          time.Now,
		pavedVersion: version.Get(),
		observer:     nopObserver{},
		dbMaxAge:     -1,
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithEnv sets the environment to deploy to (default: the first of
// gitops.environments, else "dev").
func WithEnv(env string) Option { return func(o *options) { o.env = env } }

// WithRegistry replaces the registry host of image.repository, and of
// build.base when it is on the same registry (e.g. the embedded registry
// on another port).
func WithRegistry(host string) Option { return func(o *options) { o.registry = host } }

// WithDBDir sets the vulnerability database directory (required).
func WithDBDir(dir string) Option { return func(o *options) { o.dbDir = dir } }

// WithDBMaxAge bounds the database's age (negative, the default: no limit
// beyond its own next-update time).
func WithDBMaxAge(d time.Duration) Option { return func(o *options) { o.dbMaxAge = d } }

// WithKey overrides signing.key (a key file, env://VAR or a KMS URI).
func WithKey(ref string) Option { return func(o *options) { o.key = ref } }

// WithPublicKey overrides signing.publicKey, the key verify uses.
func WithPublicKey(ref string) Option { return func(o *options) { o.publicKey = ref } }

// WithPassword sets how the signing key's password is read.
func WithPassword(pf sign.PassFunc) Option { return func(o *options) { o.password = pf } }

// WithGitOpsRepo overrides gitops.repository.
func WithGitOpsRepo(url string) Option { return func(o *options) { o.gitopsRepo = url } }

// WithDeployOptions adds options to the GitOps bump (credentials, author,
// retries).
func WithDeployOptions(opts ...deploy.Option) Option {
	return func(o *options) { o.deployOpts = append(o.deployOpts, opts...) }
}

// WithSkipDeploy stops after verification: no GitOps commit.
func WithSkipDeploy(skip bool) Option { return func(o *options) { o.skipDeploy = skip } }

// WithBuildKit builds Dockerfiles through this BuildKit endpoint (so RUN
// works); without it they build daemonless. Go services are unaffected.
func WithBuildKit(cfg *build.BuildKitConfig) Option { return func(o *options) { o.buildkit = cfg } }

// WithKeychain sets the registry credentials (default: the Docker config).
func WithKeychain(kc authn.Keychain) Option { return func(o *options) { o.keychain = kc } }

// WithTransport sets the HTTP transport for registry calls.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithHTTPClient sets the client that fetches a policy from a URL.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithCreated sets every image timestamp (SOURCE_DATE_EPOCH); default: the
// source's HEAD commit time.
func WithCreated(t time.Time) Option { return func(o *options) { o.created = &t } }

// WithClock sets the clock for policy dates, scan and deployment times.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithTracerProvider sets where spans go. The default records spans (so
// the run has a trace id) and exports none.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tracer = tp } }

// WithObserver receives progress events.
func WithObserver(obs Observer) Option {
	return func(o *options) {
		if obs != nil {
			o.observer = obs
		}
	}
}

// WithRunID sets the run id (default: a random one).
func WithRunID(id string) Option { return func(o *options) { o.runID = id } }

// WithDeployedBy names who deploys (a user or a CI job URL).
func WithDeployedBy(by string) Option { return func(o *options) { o.deployedBy = by } }

// WithApprovedBy names who approved the deployment, for an environment with
// approval: required (its gate refuses the deploy step otherwise).
func WithApprovedBy(by string) Option { return func(o *options) { o.approvedBy = by } }

// WithVersion sets the service version stamped into the binary and
// recorded in the GitOps repository (default: the first 12 digits of the
// source revision).
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithPavedVersion sets the paved version checked against the policy
// (default: this paved's).
func WithPavedVersion(v string) Option { return func(o *options) { o.pavedVersion = v } }

// WithSource overrides the source repository URL and revision (default:
// read from the service directory's git repository).
func WithSource(url, revision string) Option {
	return func(o *options) { o.sourceURL, o.revision = url, revision }
}

// WithReportDir writes the SBOM, the scan report (JSON and SARIF) into dir
// (default: a temporary directory removed after the run).
func WithReportDir(dir string) Option { return func(o *options) { o.reportDir = dir } }

// WithGoEnv adds KEY=VALUE settings to the go command of a Go build.
func WithGoEnv(env ...string) Option { return func(o *options) { o.goEnv = append(o.goEnv, env...) } }

// WithTraceAnnotation sets whether the trace id goes into the image's
// manifest annotations (default true). The annotation makes a digest
// unique per trace: a re-run in a new trace builds a new digest. Turn it
// off for digests that depend on the source alone.
func WithTraceAnnotation(on bool) Option { return func(o *options) { o.noTraceAnn = !on } }

type nopObserver struct{}

func (nopObserver) StepStarted(string, time.Time) {}
func (nopObserver) StepFinished(record.Step)      {}
func (nopObserver) Warn(string)                   {}

// WithLayerCache lets the sbom step read and write the catalogues of the
// image's layers in c, so that layers shared with earlier runs (a base) are
// not catalogued again.
func WithLayerCache(c *sbom.LayerCache) Option { return func(o *options) { o.layerCache = c } }
