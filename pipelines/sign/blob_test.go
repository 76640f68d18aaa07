package sign_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	signcli "github.com/sigstore/cosign/v2/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigs "github.com/sigstore/cosign/v2/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
)

// The release's SHA256SUMS is signed as a blob: these tests prove the
// format is stock `cosign sign-blob`, that OpenSSL (on every CI runner,
// where Cosign is not) verifies it, and the other way round.

const sums = "4f3c…  paved_0.2.0_linux_amd64.tar.gz\n"

func TestSignBlobVerifiesWithOpenSSLAndCosign(t *testing.T) {
	ctx := context.Background()
	kp := keyPair(t)
	sig, err := sign.SignBlob(ctx, []byte(sums), withKey(kp)...)
	require.NoError(t, err)
	require.NotContains(t, string(sig), "\n", "cosign sign-blob --output-signature writes no newline")

	require.NoError(t, opensslVerify(t, kp.PublicKey, []byte(sums), sig))
	require.NoError(t, cosignVerifyBlob(t, kp.PublicKey, []byte(sums), sig))
	require.NoError(t, sign.VerifyBlob(ctx, []byte(sums), sig, kp.PublicKey))

	// Each check can fail: another blob, another key.
	other := []byte(strings.Replace(sums, "4f3c", "4f3d", 1))
	require.Error(t, opensslVerify(t, kp.PublicKey, other, sig))
	require.Error(t, cosignVerifyBlob(t, kp.PublicKey, other, sig))
	err = sign.VerifyBlob(ctx, other, sig, kp.PublicKey)
	require.ErrorIs(t, err, sign.ErrBlobSignature)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.ErrorIs(t, sign.VerifyBlob(ctx, []byte(sums), sig, keyPair(t).PublicKey), sign.ErrBlobSignature)
}

// TestCosignSignBlobVerifies: what stock `cosign sign-blob` writes (its own
// command code) verifies with VerifyBlob and with OpenSSL.
func TestCosignSignBlobVerifies(t *testing.T) {
	kp := keyPair(t)
	dir := t.TempDir()
	blob, out := filepath.Join(dir, "SHA256SUMS"), filepath.Join(dir, "SHA256SUMS.sig")
	require.NoError(t, os.WriteFile(blob, []byte(sums), 0o644))
	ko := options.KeyOpts{KeyRef: kp.PrivateKey, PassFunc: func(bool) ([]byte, error) { return []byte(testPassword), nil }, SkipConfirmation: true}
	_, err := signcli.SignBlobCmd(&options.RootOptions{Timeout: time.Minute}, ko, blob, true, out, "", false)
	require.NoError(t, err)
	sig, err := os.ReadFile(out)
	require.NoError(t, err)

	require.NoError(t, sign.VerifyBlob(context.Background(), []byte(sums), sig, kp.PublicKey))
	require.NoError(t, opensslVerify(t, kp.PublicKey, []byte(sums), sig))
}

// TestOpenSSLSignatureVerifies: a signature OpenSSL makes with the same
// key (DER over SHA-256, base64) is one VerifyBlob accepts.
func TestOpenSSLSignatureVerifies(t *testing.T) {
	kp := keyPair(t)
	pemKey := decryptedKey(t, kp.PrivateKey)
	dir := t.TempDir()
	blob := filepath.Join(dir, "SHA256SUMS")
	require.NoError(t, os.WriteFile(blob, []byte(sums), 0o644))
	der, err := exec.Command("openssl", "dgst", "-sha256", "-sign", pemKey, blob).Output()
	require.NoError(t, err)
	sig := base64.StdEncoding.EncodeToString(der) + "\n" // as base64(1) writes it
	require.NoError(t, sign.VerifyBlob(context.Background(), []byte(sums), []byte(sig), kp.PublicKey))
}

func TestPublicKeyPEM(t *testing.T) {
	kp := keyPair(t)
	want, err := os.ReadFile(kp.PublicKey)
	require.NoError(t, err)
	got, err := sign.PublicKeyPEM(context.Background(), kp.PublicKey)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	t.Setenv("PAVED_TEST_PUB", string(want))
	got, err = sign.PublicKeyPEM(context.Background(), "env://PAVED_TEST_PUB")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(want)), strings.TrimSpace(string(got)))
	_, err = sign.PublicKeyPEM(context.Background(), kp.PrivateKey)
	require.Equal(t, failure.BadInput, failure.KindOf(err), "a private key is not a public key")
}

// decryptedKey writes the PKCS#8 PEM of a Cosign private key, decrypted as
// cosign.LoadPrivateKey does, for OpenSSL.
func decryptedKey(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	der, err := encrypted.Decrypt(block.Bytes, []byte(testPassword))
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	return out
}

func opensslVerify(t *testing.T, pub string, blob, sig []byte) error {
	t.Helper()
	dir := t.TempDir()
	der, err := base64.StdEncoding.DecodeString(string(sig))
	require.NoError(t, err)
	for name, data := range map[string][]byte{"blob": blob, "sig.der": der} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	out, err := exec.Command("openssl", "dgst", "-sha256", "-verify", pub, "-signature", filepath.Join(dir, "sig.der"), filepath.Join(dir, "blob")).CombinedOutput()
	if err == nil {
		require.Contains(t, string(out), "Verified OK")
	}
	return err
}

// cosignVerifyBlob verifies as `cosign verify-blob --key --signature
// --insecure-ignore-tlog` does: its command builds a static signature of
// the blob and calls cosign.VerifyBlobSignature with the key's verifier.
func cosignVerifyBlob(t *testing.T, pub string, blob, sig []byte) error {
	t.Helper()
	v, err := sigs.PublicKeyFromKeyRef(context.Background(), pub)
	require.NoError(t, err)
	s, err := static.NewSignature(blob, string(sig))
	require.NoError(t, err)
	_, err = cosign.VerifyBlobSignature(context.Background(), s, &cosign.CheckOpts{SigVerifier: v, IgnoreTlog: true})
	return err
}

// TestStockCosignVerifiesBlob runs the stock cosign binary's verify-blob on
// SignBlob's output, when $PAVED_COSIGN is set or cosign is on PATH
// (hack/tools.sh cosign builds it).
func TestStockCosignVerifiesBlob(t *testing.T) {
	bin := os.Getenv("PAVED_COSIGN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("cosign"); err != nil {
			t.Skip("no cosign binary: set PAVED_COSIGN to run the interoperability check")
		}
	}
	kp := keyPair(t)
	sig, err := sign.SignBlob(context.Background(), []byte(sums), withKey(kp)...)
	require.NoError(t, err)
	dir := t.TempDir()
	blob, sigFile := filepath.Join(dir, "SHA256SUMS"), filepath.Join(dir, "SHA256SUMS.sig")
	require.NoError(t, os.WriteFile(blob, []byte(sums), 0o644))
	require.NoError(t, os.WriteFile(sigFile, sig, 0o644))
	verify := func(pub string) (string, error) {
		cmd := exec.Command(bin, "verify-blob", "--key", pub, "--signature", sigFile, "--insecure-ignore-tlog=true", blob)
		cmd.Env = append(os.Environ(), "TUF_ROOT="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := verify(kp.PublicKey)
	require.NoError(t, err, out)
	out, err = verify(keyPair(t).PublicKey)
	require.Error(t, err, out)
}
