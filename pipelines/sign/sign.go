package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigoptions "github.com/sigstore/sigstore/pkg/signature/options"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

// Result describes what Sign or Attest did to an image.
type Result struct {
	// Image is the signed image, by digest.
	Image string `json:"image"`
	// Tag is where Cosign stores the signatures (REPO:sha256-<hex>.sig) or
	// the attestations (REPO:sha256-<hex>.att).
	Tag string `json:"tag"`
	// PredicateTypes lists the attested predicate types (Attest only).
	PredicateTypes []string `json:"predicateTypes,omitempty"`
	// Added is false when an identical signature or attestation made with
	// the same key was already attached, so nothing was written.
	Added bool `json:"added"`
	// TlogUpload reports whether the signature went to a transparency log
	// (false offline, the default).
	TlogUpload bool `json:"tlogUpload"`
	// Keyless reports a Fulcio certificate signature rather than a key.
	Keyless bool `json:"keyless"`
}

// Sign attaches a Cosign signature of image to image's repository, at the
// sha256-<hex>.sig tag, with the key given by WithKey (or keyless with
// WithKeyless). The image must exist. Signing again with the same key adds
// nothing unless WithForce.
func Sign(ctx context.Context, image name.Digest, opts ...Option) (*Result, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, failure.BadInputErr(err)
	}
	if o.keyless != nil {
		return signKeyless(ctx, image, o)
	}
	sv, err := signerOf(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := checkImage(ctx, image, o); err != nil {
		return nil, err
	}
	payload, err := (&sigpayload.Cosign{Image: image}).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("making signature payload for %q: %w", image, err)
	}
	raw, err := sv.SignMessage(bytes.NewReader(payload), sigoptions.WithContext(ctx))
	if err != nil {
		return nil, oci.Classify(fmt.Errorf("signing %q with key %q: %w", image, o.key, err))
	}
	sig, err := static.NewSignature(payload, base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		return nil, fmt.Errorf("making signature for %q: %w", image, err)
	}
	ociOpts := ociOptions(ctx, o.keychain, o.transport)
	tag, err := ociremote.SignatureTag(image, ociOpts...)
	if err != nil {
		return nil, fmt.Errorf("naming signature tag of %q: %w", image, err)
	}
	res := &Result{Image: image.String(), Tag: tag.String()}
	se := ociremote.SignedUnknown(image, ociOpts...)
	if !o.force {
		existing, err := se.Signatures()
		if err != nil {
			return nil, oci.Classify(fmt.Errorf("reading signatures of %q: %w", image, err))
		}
		dup, err := cremote.NewDupeDetector(sv).Find(existing, sig)
		if err != nil {
			return nil, oci.Classify(fmt.Errorf("reading signatures of %q: %w", image, err))
		}
		if dup != nil {
			return res, nil
		}
	}
	signed, err := mutate.AttachSignatureToEntity(se, sig)
	if err != nil {
		return nil, fmt.Errorf("attaching signature to %q: %w", image, err)
	}
	if err := ociremote.WriteSignatures(image.Repository, signed, ociOpts...); err != nil {
		return nil, oci.Classify(fmt.Errorf("writing signature %q: %w", tag, err))
	}
	res.Added = true
	return res, nil
}

// ErrImageNotFound is returned (wrapped, as bad input) when the image to
// sign, attest or verify is not in its registry.
var ErrImageNotFound = oci.ErrNotFound

// checkImage fails with a bad-input error when image is not in its
// registry, so that nothing is signed that does not exist.
func checkImage(ctx context.Context, image name.Digest, o *options) error {
	return oci.Exists(ctx, image, o.keychain, o.transport)
}
