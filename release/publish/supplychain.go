package publish

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/sign"
)

// platformRelease is one platform's image of the release and its SBOM.
type platformRelease struct {
	platform v1.Platform
	image    name.Digest
	sbom     *sbom.Result
}

// sboms generates an SPDX SBOM of each platform image, read back from the
// registry by digest.
func (p *publisher) sboms(ctx context.Context, repo name.Repository, descs []v1.Descriptor) ([]platformRelease, error) {
	var out []platformRelease
	for _, d := range descs {
		ref := repo.Digest(d.Digest.String())
		pl := v1.Platform{OS: "linux", Architecture: "amd64"}
		if d.Platform != nil {
			pl = *d.Platform
		}
		res, err := sbom.Generate(ctx, sbom.Registry(ref.String()), sbom.SPDXJSON,
			sbom.WithPlatform(pl), sbom.WithKeychain(p.o.Keychain), sbom.WithTransport(p.o.Transport))
		if err != nil {
			return nil, fmt.Errorf("making the SBOM of %s: %w", ref, err)
		}
		out = append(out, platformRelease{platform: pl, image: ref, sbom: res})
	}
	return out, nil
}

// signAll signs the index and each platform image, and attests each
// platform image's SBOM. Signing is idempotent: a re-run after a failure
// later on adds nothing that is already there.
func (p *publisher) signAll(ctx context.Context, index name.Digest, plats []platformRelease) error {
	opts := []sign.Option{sign.WithKey(p.o.Key), sign.WithPassword(p.o.Password),
		sign.WithKeychain(p.o.Keychain), sign.WithTransport(p.o.Transport)}
	if _, err := sign.Sign(ctx, index, opts...); err != nil {
		return err
	}
	for _, pr := range plats {
		if _, err := sign.Sign(ctx, pr.image, opts...); err != nil {
			return err
		}
		if _, err := sign.Attest(ctx, pr.image, "spdxjson", pr.sbom.Document, opts...); err != nil {
			return err
		}
	}
	return nil
}

// verifyAll verifies, with the public key, the index's signature and each
// platform image's signature and SBOM attestation, the way a user of the
// release will. Nothing is tagged unless this passes.
func (p *publisher) verifyAll(ctx context.Context, index name.Digest, plats []platformRelease) error {
	vo := sign.VerifyOptions{Key: p.o.PublicKey, Keychain: p.o.Keychain, Transport: p.o.Transport}
	if _, err := sign.Verify(ctx, index, vo); err != nil {
		return err
	}
	vo.Require = []string{sign.KindSBOM}
	for _, pr := range plats {
		if _, err := sign.Verify(ctx, pr.image, vo); err != nil {
			return err
		}
	}
	return nil
}
