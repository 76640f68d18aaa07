package inventory

import (
	"net/http"
	"runtime"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/policy"
)

type options struct {
	cacheDir  string
	gitAuth   transport.AuthMethod
	jobs      int
	forges    map[string]fleet.Forge
	keychain  authn.Keychain
	transport http.RoundTripper
	registry  bool
	latest    string
	policy    *policy.Policy
	now       func() time.Time
}

// Option configures Run.
type Option func(*options)

func defaults() *options {
	return &options{
		jobs:      2 * runtime.NumCPU(),
		keychain:  authn.DefaultKeychain,
		transport: http.DefaultTransport,
		registry:  true,
		now:       time.Now,
		forges:    map[string]fleet.Forge{},
	}
}

// WithCacheDir keeps the shallow repository copies in dir so a later run
// fetches only what changed (default: a temporary directory, removed at the
// end).
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithGitAuth sets the credentials of every git fetch.
func WithGitAuth(a transport.AuthMethod) Option { return func(o *options) { o.gitAuth = a } }

// WithJobs bounds how many repositories are fetched, and how many images
// looked up, at once (default twice the CPUs; fetching waits on the network).
func WithJobs(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.jobs = n
		}
	}
}

// WithForge registers the forge that fleet.yaml's discover entries name.
func WithForge(name string, f fleet.Forge) Option {
	return func(o *options) { o.forges[name] = f }
}

// WithKeychain and WithTransport configure registry access for the base
// image lookups of deployed digests.
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithTransport sets the HTTP transport of registry calls.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithoutRegistry skips the base lookups: deployments keep their digests
// but no deployed base.
func WithoutRegistry() Option { return func(o *options) { o.registry = false } }

// WithLatest sets the newest paved version, against which services are
// outdated (default: the newest version pinned anywhere in the fleet).
func WithLatest(v string) Option { return func(o *options) { o.latest = v } }

// WithPolicy checks pinned paved versions and deployed bases against the
// platform policy; a violation blocks the service.
func WithPolicy(p *policy.Policy) Option { return func(o *options) { o.policy = p } }

// WithClock sets the clock of the report's time and of policy dates.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
