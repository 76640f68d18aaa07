package sign

import (
	"context"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Policy is what a promotion gate demands of an image beyond a valid
// signature.
type Policy struct {
	// Require lists the attestation kinds that must verify (KindSBOM,
	// KindVuln, KindProvenance).
	Require []string
	// MaxScanAge bounds the age of the newest vulnerability scan; 0 is
	// no bound.
	MaxScanAge time.Duration
}

// Verifier checks images against one public key. It is the adapter that
// promotion gates call: its zero error means signed, attested and fresh.
type Verifier struct {
	// Key is the public key: a cosign.pub file, env://VAR or a KMS URI.
	Key string
	// Keyless, instead of Key, accepts keyless signatures of one identity.
	Keyless *Identity
	// Keychain and Transport reach the registry (both optional).
	Keychain  authn.Keychain
	Transport http.RoundTripper
}

// Check verifies image under p. A failed check is a policy error (exit 3)
// naming every reason; an unreachable registry is transient (exit 4).
func (v Verifier) Check(ctx context.Context, image name.Digest, p Policy) error {
	_, err := Verify(ctx, image, VerifyOptions{
		Key: v.Key, Keyless: v.Keyless, Require: p.Require, MaxScanAge: p.MaxScanAge,
		Keychain: v.Keychain, Transport: v.Transport,
	})
	return err
}
