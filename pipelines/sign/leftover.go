package sign

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	pavedoci "github.com/paved-dev/paved/pipelines/oci"
)

// leftover describes an image that carries a signature and no attestation
// at all, or attestations and no signature, both made with the key: what a
// pipeline that failed between its sign and attest steps leaves in the
// registry. It is "" for any other image, also for one whose missing half
// is there but does not verify (another key, a copy from another digest).
func leftover(ctx context.Context, image name.Digest, v *Verification, require []string, vo VerifyOptions) string {
	var missing []string
	for _, kind := range require {
		if !hasAny(v.Attestations, kindTypes[kind]) {
			missing = append(missing, kind)
		}
	}
	switch {
	case v.Signatures > 0 && len(missing) > 0 && absent(ctx, image, ".att", vo):
		return "signed, without its " + strings.Join(missing, ", ") + " attestation"
	case v.Signatures == 0 && len(v.Attestations) > 0 && absent(ctx, image, ".sig", vo):
		return "attested, without a signature"
	}
	return ""
}

// absent reports whether the registry answers that image has no
// signature (suffix ".sig") or attestation (".att") manifest.
func absent(ctx context.Context, image name.Digest, suffix string, vo VerifyOptions) bool {
	tag := image.Repository.Tag("sha256-" + image.DigestStr()[len("sha256:"):] + suffix)
	_, err := remote.Head(tag, pavedoci.Remote(ctx, vo.Keychain, vo.Transport)...)
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}
