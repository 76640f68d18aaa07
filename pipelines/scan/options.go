package scan

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/paved-dev/paved/pipelines/vuln"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// Option configures Image and SBOM.
type Option func(*options)

type options struct {
	dbDir     string
	dbMaxAge  time.Duration
	policy    vuln.Policy
	keychain  authn.Keychain
	transport http.RoundTripper
	logger    *slog.Logger
	now       func() time.Time
	artifact  vuln.Artifact
	parallel  int
}

func newOptions(opts []Option) options {
	o := options{
		dbMaxAge: vulndb.DefaultMaxAge,
		policy:   vuln.Policy{Severities: vuln.DefaultSeverities},
		keychain: authn.DefaultKeychain,
		now:      time.Now,
		parallel: 2,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithDBDir sets the directory holding trivy.db and metadata.json
// (required; see package vulndb).
func WithDBDir(dir string) Option { return func(o *options) { o.dbDir = dir } }

// WithDBMaxAge sets how old the database may be (vulndb.DefaultMaxAge by
// default; negative: no limit).
func WithDBMaxAge(d time.Duration) Option { return func(o *options) { o.dbMaxAge = d } }

// WithPolicy sets the gate (DefaultSeverities, unfixed counted, no ignores
// by default).
func WithPolicy(p vuln.Policy) Option { return func(o *options) { o.policy = p } }

// WithKeychain sets the registry credentials for registry references
// (authn.DefaultKeychain by default).
func WithKeychain(kc authn.Keychain) Option { return func(o *options) { o.keychain = kc } }

// WithTransport sets the HTTP transport for registry references
// (http.DefaultTransport by default).
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithLogger shows Trivy's log records on l during the scan (discarded by
// default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the clock for report times, database age and ignore
// expiry.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithArtifact names the scanned artifact in the report, e.g. the image
// reference and digest an SBOM was made from. Empty fields are filled from
// the input.
func WithArtifact(a vuln.Artifact) Option { return func(o *options) { o.artifact = a } }

// WithParallel sets how many layers Trivy analyses at once (2 by default).
func WithParallel(n int) Option { return func(o *options) { o.parallel = n } }
