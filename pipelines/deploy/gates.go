package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/sign"
)

// Gate lists the checks an image must pass to enter an environment, by
// whatever verb: bump, promote, switch, rollback, or the deploy step of
// paved run. Approval is the environment's, beside the gate.
type Gate struct {
	// SignatureKey is the public key the image signature must verify with;
	// empty means no signature check. Without "://" it is a file of the
	// GitOps repository; with it, a key reference the verifier resolves
	// (env://VAR, awskms://...).
	SignatureKey string `yaml:"signature_key,omitempty" json:"signatureKey,omitempty"`
	// VulnerabilityScan requires a vulnerability-scan attestation of the
	// digest, signed with SignatureKey, whose newest verdict passed.
	VulnerabilityScan bool `yaml:"vulnerability_scan,omitempty" json:"vulnerabilityScan,omitempty"`
	// MaxScanAge bounds the age of that newest scan: a Go duration ("36h")
	// or whole days or weeks ("7d", "2w"); empty is no bound. It implies
	// VulnerabilityScan.
	MaxScanAge string `yaml:"max_scan_age,omitempty" json:"maxScanAge,omitempty"`
	// SignatureKeyData is the key's contents when SignatureKey names a file
	// of the GitOps repository; filled in before verification, never read
	// from YAML.
	SignatureKeyData []byte `yaml:"-" json:"-"`
}

// Empty reports whether the gate checks nothing.
func (g Gate) Empty() bool { return g.SignatureKey == "" && !g.VulnerabilityScan && g.MaxScanAge == "" }

// KeyInRepository reports whether SignatureKey names a file of the GitOps
// repository rather than a key reference such as env://VAR or a KMS URI.
func (g Gate) KeyInRepository() bool {
	return g.SignatureKey != "" && !strings.Contains(g.SignatureKey, "://")
}

// ScanAge returns MaxScanAge as a duration; 0 when it is empty.
func (g Gate) ScanAge() (time.Duration, error) {
	if strings.TrimSpace(g.MaxScanAge) == "" {
		return 0, nil
	}
	return sign.ParseAge(g.MaxScanAge)
}

// check validates the gate's settings.
func (g Gate) check() error {
	if _, err := g.ScanAge(); err != nil {
		return fmt.Errorf("max_scan_age: %w", err)
	}
	if g.SignatureKey == "" && (g.VulnerabilityScan || g.MaxScanAge != "") {
		return errors.New("vulnerability_scan and max_scan_age need signature_key: the attestation is verified with it")
	}
	if g.KeyInRepository() && (path.IsAbs(g.SignatureKey) || strings.HasPrefix(path.Clean(g.SignatureKey), "..")) {
		return fmt.Errorf("signature_key %q: give a file of the repository (relative path) or a key URI such as env://VAR", g.SignatureKey)
	}
	return nil
}

// admit checks that image may enter env, in this order: it is in its
// registry (bad input when not, transient when the registry cannot be
// reached), the approval the environment requires, then the signature and
// vulnerability gates through the verifier (a preflight checks only the
// approval and the gate's key). doing names the change for
// messages ("promoting api to prod"). A refused gate is a policy failure.
func (o *options) admit(ctx context.Context, fsys billy.Filesystem, env Environment, doing, approvedBy string, image name.Digest) error {
	if !o.preflight {
		if err := oci.Exists(ctx, image, o.keychain, o.transport); err != nil {
			return fmt.Errorf("%s: %w", doing, err)
		}
	}
	if env.Approval == ApprovalRequired && approvedBy == "" {
		return failure.PolicyErr(fmt.Errorf("%s %w (%s: approval: required): name who approved it", doing, ErrNeedsApproval, ConfigFile))
	}
	if env.Gates.Empty() {
		return nil
	}
	gate, err := loadGateKey(fsys, env)
	if err != nil || o.preflight {
		return err
	}
	if err := o.gateVerifier().Verify(ctx, image, gate); err != nil {
		if failure.KindOf(err) == failure.Internal {
			err = failure.PolicyErr(err)
		}
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// ApprovalRequired as an environment's approval makes every change into it
// name who approved it.
const ApprovalRequired = "required"

// loadGateKey returns env's gate with the signature key read from the
// repository when it names a file there; a missing key file is bad input,
// never a silent fallback to a file of the same name elsewhere.
func loadGateKey(fsys billy.Filesystem, env Environment) (Gate, error) {
	gate := env.Gates
	if !gate.KeyInRepository() {
		return gate, nil
	}
	data, err := readFile(fsys, path.Clean(gate.SignatureKey))
	if errors.Is(err, fs.ErrNotExist) {
		return gate, failure.BadInputErr(fmt.Errorf("reading signature key %s of environment %s: no such file in the GitOps repository: commit the public key there or fix signature_key in %s", gate.SignatureKey, env.Name, ConfigFile))
	}
	if err != nil {
		return gate, err
	}
	gate.SignatureKeyData = data
	return gate, nil
}
