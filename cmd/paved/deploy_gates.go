package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/sign"
)

// signGate checks deploy's promotion and switch gates with pipelines/sign:
// the image's Cosign signature verifies with the gate's key and, when the
// gate asks for it, a vulnerability attestation signed with the same key
// exists, its newest verdict passed and, with max_scan_age, it is fresh.
// It is offline and key-based (no transparency log), like `paved verify --key`.
type signGate struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	now       func() time.Time
}

var _ deploy.Verifier = signGate{}

// Verify implements deploy.Verifier.
func (g signGate) Verify(ctx context.Context, image name.Digest, gate deploy.Gate) error {
	age, err := gate.ScanAge()
	if err != nil {
		return err
	}
	vo := sign.VerifyOptions{Key: gate.SignatureKey, MaxScanAge: age, Keychain: g.keychain, Transport: g.transport, Now: g.now}
	if gate.VulnerabilityScan {
		vo.Require = []string{sign.KindVuln}
	}
	if len(gate.SignatureKeyData) > 0 {
		// sign.Verify takes a key reference, not key bytes: hand it the key
		// read from the GitOps repository through a private temporary file.
		dir, err := os.MkdirTemp("", "paved-gate-key-")
		if err != nil {
			return fmt.Errorf("writing the gate key %s: %w", gate.SignatureKey, err)
		}
		defer os.RemoveAll(dir)
		vo.Key = filepath.Join(dir, filepath.Base(gate.SignatureKey))
		if err := os.WriteFile(vo.Key, gate.SignatureKeyData, 0o600); err != nil {
			return fmt.Errorf("writing the gate key %s: %w", gate.SignatureKey, err)
		}
	}
	_, err = sign.Verify(ctx, image, vo)
	if err != nil && vo.Key != gate.SignatureKey {
		// Name the key as paved-gitops.yaml does, not its temporary copy.
		return renamedErr{msg: strings.ReplaceAll(err.Error(), vo.Key, gate.SignatureKey), err: err}
	}
	return err
}

// renamedErr replaces an error's text and keeps its chain (and so its
// failure kind).
type renamedErr struct {
	msg string
	err error
}

func (r renamedErr) Error() string { return r.msg }
func (r renamedErr) Unwrap() error { return r.err }
