package sign_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
)

func TestVerifyFails(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		// setup signs and attests what the case needs and returns the
		// image to verify and the public key to verify it with.
		setup   func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string)
		opts    sign.VerifyOptions
		reasons []string
	}{{
		name: "wrong key",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			image := pushRandom(t, host, "acme/app")
			_, err := sign.Sign(context.Background(), image, withKey(kp)...)
			require.NoError(t, err)
			return image, keyPair(t).PublicKey
		},
		reasons: []string{"no signature verifies with key", "invalid signature"},
	}, {
		name: "unsigned image",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			return pushRandom(t, host, "acme/app"), kp.PublicKey
		},
		reasons: []string{"no signature verifies with key", "no signatures found"},
	}, {
		name: "signature copied from another digest",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			signed := pushRandom(t, host, "acme/app")
			_, err := sign.Sign(context.Background(), signed, withKey(kp)...)
			require.NoError(t, err)
			other := pushRandom(t, host, "acme/app")
			copyTag(t, signed, other, ".sig")
			return other, kp.PublicKey
		},
		reasons: []string{"no signature verifies with key", "invalid or missing digest in claim: " + "sha256:"},
	}, {
		name: "attestation copied from another digest",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			attested := pushRandom(t, host, "acme/app")
			_, err := sign.AttestAll(context.Background(), attested, allPredicates(t, attested, time.Now()), withKey(kp)...)
			require.NoError(t, err)
			other := pushRandom(t, host, "acme/app")
			_, err = sign.Sign(context.Background(), other, withKey(kp)...)
			require.NoError(t, err)
			copyTag(t, attested, other, ".att")
			return other, kp.PublicKey
		},
		opts:    sign.VerifyOptions{Require: []string{sign.KindSBOM}},
		reasons: []string{"no attestation verifies with key", "no matching subject digest found"},
	}, {
		name: "missing required attestations",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			image := pushRandom(t, host, "acme/app")
			_, err := sign.Sign(context.Background(), image, withKey(kp)...)
			require.NoError(t, err)
			_, err = sign.Attest(context.Background(), image, "spdxjson", spdxDoc(), withKey(kp)...)
			require.NoError(t, err)
			return image, kp.PublicKey
		},
		opts: sign.VerifyOptions{Require: requireAll},
		reasons: []string{
			"required provenance attestation missing (predicate https://slsa.dev/provenance/v1)",
			"required vuln attestation missing (predicate https://cosign.sigstore.dev/attestation/vuln/v1)",
		},
	}, {
		name: "scan older than the maximum age",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			image := pushRandom(t, host, "acme/app")
			_, err := sign.Sign(context.Background(), image, withKey(kp)...)
			require.NoError(t, err)
			_, err = sign.AttestAll(context.Background(), image, allPredicates(t, image, time.Now().Add(-10*day)), withKey(kp)...)
			require.NoError(t, err)
			return image, kp.PublicKey
		},
		opts:    sign.VerifyOptions{Require: requireAll, MaxScanAge: 7 * day},
		reasons: []string{"older than the maximum scan age 168h0m0s: rescan and attest"},
	}, {
		name: "scan gate failed",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			image := pushRandom(t, host, "acme/app")
			_, err := sign.Sign(context.Background(), image, withKey(kp)...)
			require.NoError(t, err)
			_, err = sign.AttestAll(context.Background(), image, []sign.Predicate{vulnPred(t, image, false, time.Now())}, withKey(kp)...)
			require.NoError(t, err)
			return image, kp.PublicKey
		},
		opts:    sign.VerifyOptions{Require: []string{sign.KindVuln}, MaxScanAge: 7 * day},
		reasons: []string{"failed its gate"},
	}, {
		name: "attested with another key",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			image := pushRandom(t, host, "acme/app")
			_, err := sign.Sign(context.Background(), image, withKey(kp)...)
			require.NoError(t, err)
			_, err = sign.AttestAll(context.Background(), image, allPredicates(t, image, time.Now()), withKey(keyPair(t))...)
			require.NoError(t, err)
			return image, kp.PublicKey
		},
		opts:    sign.VerifyOptions{Require: []string{sign.KindSBOM}},
		reasons: []string{"no attestation verifies with key"},
	}, {
		name: "image not found",
		setup: func(t *testing.T, host string, kp *sign.KeyPair) (name.Digest, string) {
			image := pushRandom(t, host, "acme/app")
			missing, err := name.NewDigest(image.Repository.String() + "@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
			require.NoError(t, err)
			return missing, kp.PublicKey
		},
		reasons: []string{"not found in the registry"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := newRegistry(t)
			image, pub := tc.setup(t, host, keyPair(t))
			opts := tc.opts
			opts.Key = pub
			_, err := sign.Verify(context.Background(), image, opts)
			require.Error(t, err)
			require.Equal(t, failure.Policy, failure.KindOf(err), "error: %v", err)
			require.NotContains(t, err.Error(), "\n")
			for _, r := range tc.reasons {
				require.Contains(t, err.Error(), r)
			}
		})
	}
}

// copyTag copies from's signature or attestation manifest to to's tag,
// as an attacker re-using a signature would.
func copyTag(t *testing.T, from, to name.Digest, suffix string) {
	t.Helper()
	src := from.Repository.Tag("sha256-" + from.DigestStr()[len("sha256:"):] + suffix)
	dst := to.Repository.Tag("sha256-" + to.DigestStr()[len("sha256:"):] + suffix)
	img, err := remote.Image(src)
	require.NoError(t, err)
	require.NoError(t, remote.Write(dst, img))
}

func TestVerifyUnreachableRegistryIsTransient(t *testing.T) {
	kp := keyPair(t)
	image, err := name.NewDigest("127.0.0.1:1/acme/app@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	require.NoError(t, err)
	_, err = sign.Verify(context.Background(), image, sign.VerifyOptions{Key: kp.PublicKey})
	require.Equal(t, failure.Transient, failure.KindOf(err), "error: %v", err)
}
