package sign_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
)

func TestBadInputLeavesNothingBehind(t *testing.T) {
	wrongPassword := func() ([]byte, error) { return []byte("not the password"), nil }
	missing := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		// run signs or attests image (which exists unless the case says
		// otherwise) and returns the error.
		run    func(t *testing.T, image name.Digest, kp *sign.KeyPair) error
		kind   failure.Kind
		reason string
		is     error // the sentinel the CLI adds its hint to, if any
	}{{
		name: "wrong password",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Sign(context.Background(), image, sign.WithKey(kp.PrivateKey), sign.WithPassword(wrongPassword))
			return err
		},
		kind: failure.BadInput, reason: "wrong password", is: sign.ErrWrongPassword,
	}, {
		name: "no password",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Sign(context.Background(), image, sign.WithKey(kp.PrivateKey))
			return err
		},
		kind: failure.BadInput, reason: "no password was given", is: sign.ErrNoPassword,
	}, {
		name: "missing key file",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Sign(context.Background(), image, withKey(&sign.KeyPair{PrivateKey: filepath.Join(t.TempDir(), "nope.key")})...)
			return err
		},
		kind: failure.BadInput, reason: "no such file",
	}, {
		name: "no key at all",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Sign(context.Background(), image)
			return err
		},
		kind: failure.BadInput, reason: "no signing key",
	}, {
		name: "public key given as signing key",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Sign(context.Background(), image, withKey(&sign.KeyPair{PrivateKey: kp.PublicKey})...)
			return err
		},
		kind: failure.BadInput, reason: "loading signing key",
	}, {
		name: "image not found",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Sign(context.Background(), image.Repository.Digest(missing), withKey(kp)...)
			return err
		},
		kind: failure.BadInput, reason: "not found in the registry",
	}, {
		name: "attest with an invalid predicate among valid ones",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			preds := []sign.Predicate{{Type: "spdxjson", Body: spdxDoc()}, {Type: "slsaprovenance1", Body: []byte(`{"buildDefinition":{}}`)}}
			_, err := sign.AttestAll(context.Background(), image, preds, withKey(kp)...)
			return err
		},
		kind: failure.BadInput, reason: "required field runDetails missing",
	}, {
		name: "attest with a wrong password",
		run: func(t *testing.T, image name.Digest, kp *sign.KeyPair) error {
			_, err := sign.Attest(context.Background(), image, "spdxjson", spdxDoc(), sign.WithKey(kp.PrivateKey), sign.WithPassword(wrongPassword))
			return err
		},
		kind: failure.BadInput, reason: "wrong password",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			image := pushRandom(t, newRegistry(t), "acme/app")
			err := tc.run(t, image, keyPair(t))
			require.Error(t, err)
			require.Equal(t, tc.kind, failure.KindOf(err), "error: %v", err)
			require.Contains(t, err.Error(), tc.reason)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.NotContains(t, err.Error(), "\n")
			require.Zero(t, layers(t, image, ".sig"), "signature left behind")
			require.Zero(t, layers(t, image, ".att"), "attestation left behind")
		})
	}
}

func TestSignUnreachableRegistryIsTransient(t *testing.T) {
	image, err := name.NewDigest("127.0.0.1:1/acme/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	require.NoError(t, err)
	_, err = sign.Sign(context.Background(), image, withKey(keyPair(t))...)
	require.Equal(t, failure.Transient, failure.KindOf(err), "error: %v", err)
}

func TestGenerateKeysRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	kp, err := sign.GenerateKeys(dir, []byte(testPassword))
	require.NoError(t, err)
	before, err := os.ReadFile(kp.PrivateKey)
	require.NoError(t, err)
	require.Contains(t, string(before), "ENCRYPTED SIGSTORE PRIVATE KEY")
	require.NotContains(t, string(before), testPassword)
	st, err := os.Stat(kp.PrivateKey)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	_, err = sign.GenerateKeys(dir, []byte("other"))
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	after, err := os.ReadFile(kp.PrivateKey)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: "36h", want: 36 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "0d", bad: true},
		{in: "-1h", bad: true},
		{in: "d", bad: true},
		{in: "7 days", bad: true},
		{in: "", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := sign.ParseAge(tc.in)
			if tc.bad {
				require.Equal(t, failure.BadInput, failure.KindOf(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"7d", "2w", "36h", "1h30m", "-3d", "99999999999d", "0w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := sign.ParseAge(s)
		if err == nil && d <= 0 {
			t.Fatalf("ParseAge(%q) = %v, want a positive duration or an error", s, d)
		}
	})
}

func TestParseRequire(t *testing.T) {
	got, err := sign.ParseRequire("sbom, vuln,provenance,")
	require.NoError(t, err)
	require.Equal(t, []string{"sbom", "vuln", "provenance"}, got)
	_, err = sign.ParseRequire("sbom,sarif")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// A KMS URI goes to Cosign's KMS providers, not to the file loader: with no
// Vault configured, the Vault provider itself answers.
func TestKMSKeyGoesToCosignKMS(t *testing.T) {
	t.Setenv("VAULT_ADDR", "")
	image := pushRandom(t, newRegistry(t), "acme/app")
	_, err := sign.Sign(context.Background(), image, sign.WithKey("hashivault://paved-test"))
	require.Equal(t, failure.BadInput, failure.KindOf(err), "error: %v", err)
	require.Contains(t, err.Error(), "VAULT_ADDR is not set")
	require.Zero(t, layers(t, image, ".sig"))
}
