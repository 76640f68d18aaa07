package sign

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	sigs "github.com/sigstore/cosign/v2/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// Key file names written by GenerateKeys, the same as `cosign generate-key-pair`.
const (
	PrivateKeyFile = "cosign.key"
	PublicKeyFile  = "cosign.pub"
)

// KeyPair names the files of a generated key pair.
type KeyPair struct {
	// PrivateKey is the path of the encrypted private key (mode 0600).
	PrivateKey string `json:"privateKey"`
	// PublicKey is the path of the PEM public key (mode 0644).
	PublicKey string `json:"publicKey"`
}

// GenerateKeys writes a Cosign-compatible key pair into dir: an ECDSA P-256
// private key encrypted with password (cosign.key) and its public key
// (cosign.pub). Existing files are never overwritten.
func GenerateKeys(dir string, password []byte) (*KeyPair, error) {
	kp := &KeyPair{PrivateKey: filepath.Join(dir, PrivateKeyFile), PublicKey: filepath.Join(dir, PublicKeyFile)}
	for _, p := range []string{kp.PrivateKey, kp.PublicKey} {
		if _, err := os.Stat(p); err == nil {
			return nil, failure.BadInputErr(fmt.Errorf("writing key pair: %q already exists; remove it or pick another directory", p))
		}
	}
	keys, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, fmt.Errorf("generating key pair: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("creating key directory %q: %w", dir, err))
	}
	if err := writeNew(kp.PrivateKey, keys.PrivateBytes, 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(kp.PublicKey, keys.PublicBytes, 0o644); err != nil {
		_ = os.Remove(kp.PrivateKey)
		return nil, err
	}
	return kp, nil
}

func writeNew(path string, b []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("writing key %q: %w", path, err))
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("writing key %q: %w", path, err)
	}
	return f.Close()
}

// Signer is a signing key loaded once (see WithSigner).
type Signer struct {
	ref string
	sv  signature.SignerVerifier
}

// LoadSigner loads the private key ref (a file, env://VAR or a KMS URI),
// decrypting it with the password pf returns. Errors are classified as
// WithKey's are: a missing file or a wrong password is bad input, a KMS
// that cannot be reached is transient.
func LoadSigner(ctx context.Context, ref string, pf PassFunc) (*Signer, error) {
	sv, err := loadSigner(ctx, ref, pf)
	if err != nil {
		return nil, err
	}
	return &Signer{ref: ref, sv: sv}, nil
}

// signerOf is the key of o: the one loaded by LoadSigner, else WithKey's.
func signerOf(ctx context.Context, o *options) (signature.SignerVerifier, error) {
	if o.signer != nil {
		return o.signer.sv, nil
	}
	return loadSigner(ctx, o.key, o.pass)
}

// ErrNoPassword is returned (wrapped, as bad input) when a signing key is
// encrypted and no password was given (WithPassword).
var ErrNoPassword = errors.New("the key is encrypted and no password was given")

// ErrWrongPassword is returned (wrapped, as bad input) when the password
// does not decrypt the signing key.
var ErrWrongPassword = errors.New("wrong password")

// loadSigner loads a private key through Cosign's key references: a file,
// env://VAR or a KMS URI.
func loadSigner(ctx context.Context, ref string, pf PassFunc) (signature.SignerVerifier, error) {
	cpf := func(bool) ([]byte, error) {
		if pf == nil {
			return nil, ErrNoPassword
		}
		return pf()
	}
	sv, err := sigs.SignerVerifierFromKeyRef(ctx, ref, cpf, nil)
	if err != nil {
		return nil, keyErr("loading signing key", ref, err)
	}
	return sv, nil
}

// loadVerifier loads a public key (file, env://VAR or KMS URI).
func loadVerifier(ctx context.Context, ref string) (signature.Verifier, error) {
	v, err := sigs.PublicKeyFromKeyRef(ctx, ref)
	if err != nil {
		return nil, keyErr("loading public key", ref, err)
	}
	return v, nil
}

// keyErr classifies a key loading error: the network is transient, anything
// else (no such file, wrong password, not a key) is the caller's to fix.
func keyErr(what, ref string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = fmt.Errorf("%s %q: no such file", what, ref)
	case strings.Contains(msg, "decrypt"):
		err = fmt.Errorf("%s %q: %w", what, ref, ErrWrongPassword)
	default:
		err = fmt.Errorf("%s %q: %w", what, ref, err)
	}
	if c := oci.Classify(err); failure.KindOf(c) == failure.Transient {
		return c
	}
	return failure.BadInputErr(err)
}

// CheckKeys loads the signing key of opts (decrypting it with its
// password, or reaching its KMS) and the public key publicKey (when not
// empty), as Sign, Attest and Verify will, so that a missing key, a wrong
// password or a KMS key that cannot be reached is found before anything is
// pushed. A keyless signer has no key to load, and one given WithSigner
// is loaded already.
func CheckKeys(ctx context.Context, publicKey string, opts ...Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return failure.BadInputErr(err)
	}
	if o.keyless == nil && o.signer == nil {
		if _, err := loadSigner(ctx, o.key, o.pass); err != nil {
			return err
		}
	}
	if publicKey != "" {
		if _, err := loadVerifier(ctx, publicKey); err != nil {
			return err
		}
	}
	return nil
}
