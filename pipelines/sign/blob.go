package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigoptions "github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrBlobSignature means a blob signature does not verify with the key.
var ErrBlobSignature = errors.New("the signature does not verify with the public key")

// SignBlob signs data the way `cosign sign-blob --key KEY` does, and
// returns what it writes with --output-signature: the base64 (standard
// encoding, no newline) of the key's signature over data. For Cosign's
// ECDSA P-256 keys that is an ASN.1 DER signature over the SHA-256 of data,
// so a machine without Cosign verifies it with
//
//	base64 -d FILE.sig > FILE.sig.der
//	openssl dgst -sha256 -verify cosign.pub -signature FILE.sig.der FILE
//
// and stock Cosign with `cosign verify-blob --key cosign.pub --signature
// FILE.sig --insecure-ignore-tlog FILE`. Nothing goes to a transparency log.
// The key is WithKey's (a file, env://VAR or a KMS URI) with WithPassword.
func SignBlob(ctx context.Context, data []byte, opts ...Option) ([]byte, error) {
	o := &options{}
	for _, opt := range opts {
		opt(o)
	}
	if o.key == "" {
		return nil, failure.BadInputErr(ErrNoKey)
	}
	sv, err := loadSigner(ctx, o.key, o.pass)
	if err != nil {
		return nil, err
	}
	sig, err := sv.SignMessage(bytes.NewReader(data), sigoptions.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing blob with %q: %w", o.key, err)
	}
	return []byte(base64.StdEncoding.EncodeToString(sig)), nil
}

// VerifyBlob verifies a SignBlob (or `cosign sign-blob`) signature of data,
// base64 with surrounding blanks allowed, with a public key (a file, env://VAR
// or a KMS URI). A signature that does not verify is ErrBlobSignature, as a
// policy failure.
func VerifyBlob(ctx context.Context, data, sig []byte, publicKey string) error {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("reading blob signature: not base64: %w", err))
	}
	v, err := loadVerifier(ctx, publicKey)
	if err != nil {
		return err
	}
	if err := v.VerifySignature(bytes.NewReader(raw), bytes.NewReader(data), sigoptions.WithContext(ctx)); err != nil {
		return failure.PolicyErr(fmt.Errorf("verifying blob signature with %q: %w: %v", publicKey, ErrBlobSignature, err))
	}
	return nil
}

// PublicKeyPEM returns the PEM (PKIX "PUBLIC KEY") of a public key given as
// a file, env://VAR or a KMS URI: what `cosign public-key` prints.
func PublicKeyPEM(ctx context.Context, ref string) ([]byte, error) {
	if data, err := os.ReadFile(ref); err == nil {
		if _, err := cryptoutils.UnmarshalPEMToPublicKey(data); err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading public key %q: %w", ref, err))
		}
		return data, nil
	}
	v, err := loadVerifier(ctx, ref)
	if err != nil {
		return nil, err
	}
	pub, err := v.PublicKey(sigoptions.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading public key %q: %w", ref, err)
	}
	data, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key %q: %w", ref, err)
	}
	return data, nil
}
