package sign

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/paved-dev/paved/pipelines/oci"
)

// PassFunc returns the password of an encrypted private key. It is called
// at most once per call, and only when the key needs one (a KMS key does not).
type PassFunc func() ([]byte, error)

// Option configures Sign, Attest and AttestAll.
type Option func(*options)

type options struct {
	key       string
	pass      PassFunc
	keychain  authn.Keychain
	transport http.RoundTripper
	force     bool
	keyless   *Keyless
	signer    *Signer
}

// WithKey sets the signing key: a file path, env://VAR (a PEM key in an
// environment variable) or a KMS URI that Cosign understands
// (awskms://, gcpkms://, azurekms://, hashivault://).
func WithKey(ref string) Option { return func(o *options) { o.key = ref } }

// WithPassword sets how the key's password is obtained.
func WithPassword(pf PassFunc) Option { return func(o *options) { o.pass = pf } }

// WithKeychain sets the registry credentials (authn.DefaultKeychain if unset).
func WithKeychain(kc authn.Keychain) Option { return func(o *options) { o.keychain = kc } }

// WithTransport sets the HTTP transport for registry calls.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithForce adds a signature or attestation even when an identical one,
// made with the same key, is already attached.
func WithForce(force bool) Option { return func(o *options) { o.force = force } }

// WithSigner signs with a key loaded once by LoadSigner, so a run that signs
// and attests several times decrypts the key once (Cosign's scrypt costs
// about 0.15 s of CPU per decryption). It replaces WithKey and WithPassword.
func WithSigner(s *Signer) Option {
	return func(o *options) {
		if s != nil {
			o.signer, o.key = s, s.ref
		}
	}
}

// WithKeyless signs with a short-lived Fulcio certificate and uploads to
// Rekor, through Cosign's own keyless code path. It needs the network.
func WithKeyless(k Keyless) Option { return func(o *options) { o.keyless = &k } }

func makeOptions(opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	if o.keyless == nil && o.key == "" {
		return nil, ErrNoKey
	}
	return o, nil
}

// ErrNoKey is returned when a signature needs a key and none was given.
var ErrNoKey = errors.New("no signing key: give a key (a cosign.key file, env://VAR or a KMS URI) or sign keyless")

// ErrNoPublicKey is returned (wrapped, as bad input) when a verification
// has neither a public key nor a keyless identity.
var ErrNoPublicKey = errors.New("no public key")

// ociOptions returns the Cosign registry options for one call.
func ociOptions(ctx context.Context, kc authn.Keychain, rt http.RoundTripper) []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(oci.Remote(ctx, kc, rt)...)}
}
