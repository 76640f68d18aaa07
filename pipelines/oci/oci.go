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
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Remote returns the go-containerregistry options for a registry call:
// the context, the keychain (authn.DefaultKeychain when kc is nil), the
// transport (Transport when rt is nil) and paved's retries (Retry,
// RetryStatusCodes, Retryable). Every registry call paved makes takes
// its options from here.
func Remote(ctx context.Context, kc authn.Keychain, rt http.RoundTripper) []remote.Option {
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	if rt == nil {
		rt = Transport
	}
	return []remote.Option{
		remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithTransport(rt),
		remote.WithRetryBackoff(Retry), remote.WithRetryStatusCodes(RetryStatusCodes...), remote.WithRetryPredicate(Retryable),
	}
}

// ErrNotFound is returned (wrapped, as bad input) when an image is not in
// its registry.
var ErrNotFound = errors.New("not found in the registry")

// ErrCredentials is returned (wrapped, as bad input) when a registry refuses
// the credentials it was given, or asks for some and none were.
var ErrCredentials = errors.New("the registry refused the credentials")

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
		return failure.BadInputErr(fmt.Errorf("finding image %q: %w (%d)", image, ErrCredentials, terr.StatusCode))
	}
	err = Classify(fmt.Errorf("finding image %q: %w", image, err))
	if failure.KindOf(err) == failure.Transient {
		return failure.TransientErr(fmt.Errorf("%w: the registry %s cannot be reached: check that it is up, then run again", err, image.RegistryStr()))
	}
	return err
}

// ParseDigest parses an image reference that must be pinned by digest
// (REPO@sha256:...). A tag reference, and a repository the distribution
// spec does not allow (see ParseRef), are refused as bad input.
func ParseDigest(ref string) (name.Digest, error) {
	d, err := name.NewDigest(ref)
	if err != nil {
		if _, terr := name.NewTag(ref); terr == nil {
			return name.Digest{}, failure.BadInputErr(fmt.Errorf("image %q is a tag: give it by digest (REPO@sha256:...)", ref))
		}
		return name.Digest{}, failure.BadInputErr(fmt.Errorf("parsing image reference %q: %w", ref, err))
	}
	if err := checkRepository(ref, d.Context()); err != nil {
		return name.Digest{}, err
	}
	return d, nil
}

// ParseRef parses an image reference (tag or digest). go-containerregistry
// accepts repository paths that the OCI distribution spec does not
// (/platform/static, services/../../etc); they are refused here, before
// any registry is asked, as bad input.
func ParseRef(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing image reference %q: %w", ref, err))
	}
	if err := checkRepository(ref, r.Context()); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseRepository parses a repository (REGISTRY/PATH, no tag), refusing
// paths the distribution spec does not allow, as bad input.
func ParseRepository(repo string) (name.Repository, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return name.Repository{}, failure.BadInputErr(fmt.Errorf("parsing repository %q: %w (want REGISTRY/PATH, no tag)", repo, err))
	}
	return r, checkRepository(repo, r)
}

// pathComponent is one component of a repository path in the OCI
// distribution spec: lower-case alphanumerics, separated by one period,
// one or two underscores, or dashes.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

func checkRepository(ref string, repo name.Repository) error {
	for _, c := range strings.Split(repo.RepositoryStr(), "/") {
		if !pathComponent.MatchString(c) {
			return failure.BadInputErr(fmt.Errorf("parsing image reference %q: repository path component %q is not allowed: use lower-case letters, digits and . _ - between them (REGISTRY/PATH/NAME:TAG)", ref, c))
		}
	}
	return nil
}

// Classify gives a registry error its failure kind: a missing image or a
// refused credential is bad input (the caller must fix the reference or the
// credentials), a network error or a server error is transient; a
// retryable one also says that Retry was used up. The message (which names
// the request: method and URL) is kept; credentials never appear in
// go-containerregistry's errors.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if failure.KindOf(err) != failure.Internal {
		return err
	}
	if Retryable(err) {
		// go-containerregistry returns a retryable error only once Retry
		// is used up.
		return failure.TransientErr(&exhausted{err: err})
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
