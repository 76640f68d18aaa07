package sign

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/attest"
	copts "github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	cosignsign "github.com/sigstore/cosign/v2/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// Public-good Sigstore endpoints, the defaults of Keyless.
const (
	DefaultFulcioURL = "https://fulcio.sigstore.dev"
	DefaultRekorURL  = "https://rekor.sigstore.dev"
)

// Keyless selects Sigstore keyless signing: an ephemeral key, a Fulcio
// certificate for the CI's OIDC identity and a Rekor transparency-log
// entry. It runs Cosign's own `cosign sign` / `cosign attest` code and needs
// the network. It is not idempotent: each call adds a new signature, since
// every certificate is new.
type Keyless struct {
	// FulcioURL and RekorURL default to the public-good instances.
	FulcioURL, RekorURL string
	// IDToken is the OIDC identity token (GitLab's SIGSTORE_ID_TOKEN).
	// Empty lets Cosign's providers find one (the GitHub Actions ID token).
	IDToken string
}

func (k Keyless) keyOpts() copts.KeyOpts {
	ko := copts.KeyOpts{FulcioURL: k.FulcioURL, RekorURL: k.RekorURL, IDToken: k.IDToken, SkipConfirmation: true}
	if ko.FulcioURL == "" {
		ko.FulcioURL = DefaultFulcioURL
	}
	if ko.RekorURL == "" {
		ko.RekorURL = DefaultRekorURL
	}
	return ko
}

func (o *options) registryOptions(ctx context.Context) copts.RegistryOptions {
	return copts.RegistryOptions{RegistryClientOpts: oci.Remote(ctx, o.keychain, o.transport)}
}

// signKeyless runs Cosign's sign command for one digest.
func signKeyless(ctx context.Context, image name.Digest, o *options) (*Result, error) {
	if err := checkImage(ctx, image, o); err != nil {
		return nil, err
	}
	so := copts.SignOptions{Upload: true, TlogUpload: true, SkipConfirmation: true, Registry: o.registryOptions(ctx)}
	ro := &copts.RootOptions{Timeout: copts.DefaultTimeout}
	if err := cosignsign.SignCmd(ro, o.keyless.keyOpts(), so, []string{image.String()}); err != nil {
		return nil, oci.Classify(fmt.Errorf("signing %q keyless: %w", image, err))
	}
	return &Result{Image: image.String(), Tag: tagOf(image, ".sig"), Added: true, TlogUpload: true, Keyless: true}, nil
}

// attestKeyless runs Cosign's attest command once per predicate.
func attestKeyless(ctx context.Context, image name.Digest, preds []Predicate, o *options) (*Result, error) {
	if err := checkImage(ctx, image, o); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "paved-attest-")
	if err != nil {
		return nil, fmt.Errorf("attesting %q keyless: %w", image, err)
	}
	defer os.RemoveAll(dir)
	res := &Result{Image: image.String(), Tag: tagOf(image, ".att"), TlogUpload: true, Keyless: true}
	for i, p := range preds {
		path := filepath.Join(dir, fmt.Sprintf("predicate-%d.json", i))
		if err := os.WriteFile(path, p.Body, 0o600); err != nil {
			return nil, fmt.Errorf("attesting %q keyless: %w", image, err)
		}
		c := attest.AttestCommand{
			KeyOpts: o.keyless.keyOpts(), RegistryOptions: o.registryOptions(ctx),
			PredicatePath: path, PredicateType: cosignTypeName(p.Type),
			TlogUpload: true, RekorEntryType: "dsse", Timeout: 3 * time.Minute,
		}
		if err := c.Exec(ctx, image.String()); err != nil {
			return nil, oci.Classify(fmt.Errorf("attesting %q keyless: %w", image, err))
		}
		res.PredicateTypes = append(res.PredicateTypes, PredicateTypeURI(p.Type))
		res.Added = true
	}
	return res, nil
}

// Identity is the OIDC identity a keyless signature must carry, for
// example Subject "https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main"
// and Issuer "https://token.actions.githubusercontent.com".
type Identity struct {
	Subject, Issuer string
}

// keylessCheckOpts completes co as `cosign verify --certificate-identity
// --certificate-oidc-issuer` does: the Sigstore trusted root (fetched with
// TUF), Rekor and SCT checks on.
func keylessCheckOpts(co *cosign.CheckOpts, id Identity) (*cosign.CheckOpts, error) {
	if id.Subject == "" || id.Issuer == "" {
		return nil, failure.BadInputErr(errors.New("verifying keyless: both the certificate identity and the OIDC issuer are required"))
	}
	tr, err := cosign.TrustedRoot()
	if err != nil {
		return nil, failure.TransientErr(fmt.Errorf("fetching the Sigstore trusted root: %w", err))
	}
	co.TrustedMaterial = tr
	co.Identities = []cosign.Identity{{Subject: id.Subject, Issuer: id.Issuer}}
	co.IgnoreTlog, co.IgnoreSCT = false, false
	return co, nil
}

func tagOf(image name.Digest, suffix string) string {
	return image.Repository.Tag(fmt.Sprintf("sha256-%s%s", image.DigestStr()[len("sha256:"):], suffix)).String()
}
