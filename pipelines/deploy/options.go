package deploy

import (
	"net/http"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/paved-dev/paved/pipelines/gitremote"
)

// DefaultMessageTemplate is the commit message template (text/template) when
// none is given. Fields: Service, Env, Action, OldVersion, NewVersion, Image.
// The Paved-Run and Paved-Trace trailers are appended after it.
const DefaultMessageTemplate = `deploy({{.Service}}): {{.Action}} {{.Env}} {{.OldVersion}} → {{.NewVersion}}

Image: {{.Image}}`

// Option configures Bump, Promote, Switch, Rollback and WriteRoutes.
type Option func(*options)

type options struct {
	branch      string
	auth        transport.AuthMethod
	authorName  string
	authorEmail string
	template    string
	now         func() time.Time
	dryRun      bool
	preflight   bool
	attempts    int
	backoff     time.Duration
	verifier    Verifier
	secrets     []string
	keychain    authn.Keychain
	transport   http.RoundTripper
}

func newOptions(opts []Option) *options {
	o := &options{
		branch:      "main",
		authorName:  "paved",
		authorEmail: "paved@localhost",
		template:    DefaultMessageTemplate,
		now:         time.Now,
		attempts:    10,
		backoff:     200 * time.Millisecond,
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithBranch sets the branch to commit to (default main).
func WithBranch(b string) Option { return func(o *options) { o.branch = b } }

// WithAuth sets the git credentials: go-git's http.BasicAuth for an HTTPS
// token, ssh.PublicKeys for an SSH key. Secrets in it never appear in errors.
func WithAuth(a transport.AuthMethod) Option { return func(o *options) { o.auth = a } }

// WithAuthor sets the commit author (default paved <paved@localhost>).
func WithAuthor(name, email string) Option {
	return func(o *options) { o.authorName, o.authorEmail = name, email }
}

// WithMessageTemplate sets the commit message template (see
// DefaultMessageTemplate).
func WithMessageTemplate(t string) Option { return func(o *options) { o.template = t } }

// WithClock sets the clock used for deployed_at and the commit time.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithDryRun computes the diff and the commit message and pushes nothing.
func WithDryRun(dry bool) Option { return func(o *options) { o.dryRun = dry } }

// WithPreflight is a dry run for an image not pushed yet: the repository,
// the service, the environment, its lock and approval and the manifests'
// edits are checked, the image's existence and gates are not.
func WithPreflight() Option { return func(o *options) { o.dryRun, o.preflight = true, true } }

// WithRetry bounds the attempts at a push rejected because the branch moved
// (default 10), and sets the first backoff (default 200ms; it doubles up to
// 5s, with jitter).
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(o *options) { o.attempts, o.backoff = max(1, attempts), backoff }
}

// WithVerifier replaces the gate verifier (default: Cosign signatures and
// attestations checked with pipelines/sign, offline and key-based).
func WithVerifier(v Verifier) Option { return func(o *options) { o.verifier = v } }

// WithKeychain sets the registry credentials used to check that an image
// exists and to verify its gates (default: the Docker config).
func WithKeychain(kc authn.Keychain) Option { return func(o *options) { o.keychain = kc } }

// WithTransport sets the HTTP transport for registry calls.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// gateVerifier returns the verifier of the environments' gates.
func (o *options) gateVerifier() Verifier {
	if o.verifier != nil {
		return o.verifier
	}
	return signatureGate{keychain: o.keychain, transport: o.transport, now: o.now}
}

// WithSecrets names strings that must never appear in an error (a token
// handed over by other means than WithAuth, for instance).
func WithSecrets(s ...string) Option { return func(o *options) { o.secrets = append(o.secrets, s...) } }

// remote is repoURL with the credentials of o.
func (o *options) remote(repoURL string) gitremote.Remote {
	return gitremote.Remote{URL: repoURL, Auth: o.auth, Secrets: o.secrets}
}

// retry is the backoff of a rejected push: o.attempts tries, the first
// wait o.backoff, doubling up to 5s.
func (o *options) retry() gitremote.Backoff {
	return gitremote.Backoff{Attempts: o.attempts, First: o.backoff, Max: min(o.backoff<<5, 5*time.Second)}
}
