// Package oci holds what every paved step needs to talk to OCI registries:
// references, credentials and the classification of registry errors into
// paved's failure kinds.
package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Remote returns the go-containerregistry options for a registry call:
// the context, the keychain (authn.DefaultKeychain when kc is nil) and the
// transport (http.DefaultTransport when rt is nil).
func Remote(ctx context.Context, kc authn.Keychain, rt http.RoundTripper) []remote.Option {
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if rt != nil {
		opts = append(opts, remote.WithTransport(rt))
	}
	return opts
}

// ErrNotFound is returned (wrapped, as bad input) when an image is not in
// its registry.
var ErrNotFound = errors.New("not found in the registry")

// Exists checks that image is in its registry. A missing image and refused
// credentials are bad input naming the image; an unreachable registry is
// transient and says so.
func Exists(ctx context.Context, image name.Digest, kc authn.Keychain, rt http.RoundTripper) error {
	_, err := remote.Head(image, Remote(ctx, kc, rt)...)
	var terr *transport.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		return failure.BadInputErr(fmt.Errorf("finding image %q: %w; push it first or check the digest", image, ErrNotFound))
	case errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden):
		return failure.BadInputErr(fmt.Errorf("finding image %q: the registry refused the credentials (%d): check docker login or PAVED_REGISTRY_USERNAME/PAVED_REGISTRY_PASSWORD", image, terr.StatusCode))
	}
	err = Classify(fmt.Errorf("finding image %q: %w", image, err))
	if failure.KindOf(err) == failure.Transient {
		return failure.TransientErr(fmt.Errorf("%w: the registry %s cannot be reached: check that it is up, then run again", err, image.RegistryStr()))
	}
	return err
}

// ParseDigest parses an image reference that must be pinned by digest
// (REPO@sha256:...). A tag reference is refused as bad input.
func ParseDigest(ref string) (name.Digest, error) {
	d, err := name.NewDigest(ref)
	if err != nil {
		if _, terr := name.NewTag(ref); terr == nil {
			return name.Digest{}, failure.BadInputErr(fmt.Errorf("image %q is a tag: give it by digest (REPO@sha256:...)", ref))
		}
		return name.Digest{}, failure.BadInputErr(fmt.Errorf("parsing image reference %q: %w", ref, err))
	}
	return d, nil
}

// ParseRef parses an image reference (tag or digest).
func ParseRef(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing image reference %q: %w", ref, err))
	}
	return r, nil
}

// Classify gives a registry error its failure kind: a missing image or a
// refused credential is bad input (the caller must fix the reference or the
// credentials), a network error or a server error is transient. The message
// is kept; credentials never appear in go-containerregistry's errors.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if failure.KindOf(err) != failure.Internal {
		return err
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch {
		case terr.StatusCode == http.StatusNotFound, terr.StatusCode == http.StatusUnauthorized,
			terr.StatusCode == http.StatusForbidden, terr.StatusCode == http.StatusBadRequest:
			return failure.BadInputErr(err)
		case terr.StatusCode >= 500, terr.StatusCode == http.StatusTooManyRequests:
			return failure.TransientErr(err)
		}
		for _, d := range terr.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode ||
				d.Code == transport.BlobUnknownErrorCode || d.Code == transport.UnauthorizedErrorCode {
				return failure.BadInputErr(err)
			}
		}
	}
	var nerr net.Error
	var uerr *url.Error
	if errors.As(err, &nerr) || errors.As(err, &uerr) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "connection refused") {
		return failure.TransientErr(err)
	}
	return err
}
