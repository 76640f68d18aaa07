package deploy

import (
	"context"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/sign"
)

// signatureGate is the Verifier every verb uses unless WithVerifier gives
// another: pipelines/sign, offline and key-based (no transparency log), as
// paved verify --key. The image's Cosign signature must verify with the
// gate's key and, when the gate asks for it, a vulnerability attestation of
// the digest signed with that key must exist, its newest verdict must have
// passed and, with max_scan_age, be fresh.
type signatureGate struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	now       func() time.Time
}

var _ Verifier = signatureGate{}

// Verify implements Verifier.
func (g signatureGate) Verify(ctx context.Context, image name.Digest, gate Gate) error {
	age, err := gate.ScanAge()
	if err != nil {
		return err
	}
	vo := sign.VerifyOptions{Key: gate.SignatureKey, KeyPEM: gate.SignatureKeyData, MaxScanAge: age,
		Keychain: g.keychain, Transport: g.transport, Now: g.now}
	if gate.VulnerabilityScan {
		vo.Require = []string{sign.KindVuln}
	}
	_, err = sign.Verify(ctx, image, vo)
	return err
}
