package sign_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigs "github.com/sigstore/cosign/v2/pkg/signature"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
)

// TestAttestRefusesScanOfAnotherImage: a scan report is attested only to
// the digest it is a scan of; nothing is written otherwise.
func TestAttestRefusesScanOfAnotherImage(t *testing.T) {
	host := newRegistry(t)
	image, other := pushRandom(t, host, "acme/app"), pushRandom(t, host, "acme/app")
	kp := keyPair(t)
	noDigest, err := sign.VulnPredicate(sign.Scan{Report: []byte(`{"schemaVersion":"` + sign.ScanReportSchema + `","artifact":{"name":"app.cdx.json","kind":"sbom"},"gate":{"passed":true}}`), FinishedOn: time.Now()})
	require.NoError(t, err)
	tests := []struct {
		name string
		pred sign.Predicate
		want string
	}{
		{"report of another digest", vulnPred(t, other, true, time.Now()), "its artifact.digest is " + other.DigestStr() + ", not " + image.DigestStr()},
		{"report naming no digest", sign.Predicate{Type: sign.PredicateVuln, Body: noDigest}, "it names no image digest (artifact.digest)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sign.AttestAll(context.Background(), image, []sign.Predicate{{Type: "spdxjson", Body: spdxDoc()}, tt.pred}, withKey(kp)...)
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			require.Zero(t, layers(t, image, ".att"), "nothing is attested")
		})
	}
}

// TestVerifyIgnoresScanOfAnotherImage: a vulnerability attestation signed
// with the right key (by an older paved, or stock cosign) whose report is of
// another digest does not count for this one.
func TestVerifyIgnoresScanOfAnotherImage(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t)
	image, other := pushRandom(t, host, "acme/app"), pushRandom(t, host, "acme/app")
	kp := keyPair(t)
	_, err := sign.Sign(ctx, image, withKey(kp)...)
	require.NoError(t, err)
	attestUnchecked(t, image, kp, vulnPred(t, other, true, time.Now()))

	_, err = sign.Verify(ctx, image, sign.VerifyOptions{Key: kp.PublicKey, Require: []string{sign.KindVuln}})
	require.ErrorContains(t, err, "required vuln attestation missing")
	require.ErrorContains(t, err, "(1 ignored: the scan report is of another image: its artifact.digest is "+other.DigestStr())
	require.Equal(t, failure.Policy, failure.KindOf(err))

	// The scan of this digest counts.
	_, err = sign.AttestAll(ctx, image, []sign.Predicate{vulnPred(t, image, true, time.Now())}, withKey(kp)...)
	require.NoError(t, err)
	v, err := sign.Verify(ctx, image, sign.VerifyOptions{Key: kp.PublicKey, Require: []string{sign.KindVuln}})
	require.NoError(t, err)
	require.Equal(t, 1, v.Attestations[sign.PredicateVuln])
}

// TestVerifyWithKeyPEM verifies with the key's contents, named as given.
func TestVerifyWithKeyPEM(t *testing.T) {
	ctx := context.Background()
	image := pushRandom(t, newRegistry(t), "acme/app")
	kp := keyPair(t)
	_, err := sign.Sign(ctx, image, withKey(kp)...)
	require.NoError(t, err)
	pem, err := os.ReadFile(kp.PublicKey)
	require.NoError(t, err)
	_, err = sign.Verify(ctx, image, sign.VerifyOptions{Key: "keys/prod.pub", KeyPEM: pem})
	require.NoError(t, err)

	other, err := os.ReadFile(keyPair(t).PublicKey)
	require.NoError(t, err)
	_, err = sign.Verify(ctx, image, sign.VerifyOptions{Key: "keys/prod.pub", KeyPEM: other})
	require.ErrorContains(t, err, `no signature verifies with key "keys/prod.pub"`)
	_, err = sign.Verify(ctx, image, sign.VerifyOptions{Key: "keys/prod.pub", KeyPEM: []byte("not a key")})
	require.ErrorContains(t, err, `loading public key "keys/prod.pub": not a PEM public key`)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// attestUnchecked attaches pred to image with Cosign's own libraries, as
// `cosign attest` would, without paved's subject check.
func attestUnchecked(t *testing.T, image name.Digest, kp *sign.KeyPair, pred sign.Predicate) {
	t.Helper()
	ctx := context.Background()
	sv, err := sigs.SignerVerifierFromKeyRef(ctx, kp.PrivateKey, func(bool) ([]byte, error) { return []byte(testPassword), nil }, nil)
	require.NoError(t, err)
	st, err := attestation.GenerateStatement(attestation.GenerateOpts{
		Predicate: bytes.NewReader(pred.Body), Type: "vuln", Digest: image.DigestStr()[len("sha256:"):], Repo: image.Repository.String(),
	})
	require.NoError(t, err)
	payload, err := json.Marshal(st)
	require.NoError(t, err)
	env, err := dsse.WrapSigner(sv, types.IntotoPayloadType).SignMessage(bytes.NewReader(payload))
	require.NoError(t, err)
	att, err := static.NewAttestation(env, static.WithLayerMediaType(types.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": sign.PredicateVuln}))
	require.NoError(t, err)
	se, err := mutate.AttachAttestationToEntity(ociremote.SignedUnknown(image), att)
	require.NoError(t, err)
	require.NoError(t, ociremote.WriteAttestations(image.Repository, se))
}
