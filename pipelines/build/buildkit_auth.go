package build

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/session/auth"
	"google.golang.org/grpc"
)

// keychainAuth answers BuildKit's requests for registry credentials (base
// pulls, registry cache) from the build's keychain, so BuildKit uses the
// same credentials as the rest of paved. Only Credentials is implemented:
// buildkitd then fetches registry tokens itself.
type keychainAuth struct {
	auth.UnimplementedAuthServer
	kc authn.Keychain
}

// Register makes the provider part of the build's session.
func (a *keychainAuth) Register(s *grpc.Server) { auth.RegisterAuthServer(s, a) }

// Credentials returns the username and secret for req.Host; empty ones for
// anonymous access.
func (a *keychainAuth) Credentials(_ context.Context, req *auth.CredentialsRequest) (*auth.CredentialsResponse, error) {
	if a.kc == nil {
		return &auth.CredentialsResponse{}, nil
	}
	host := req.Host
	if host == "registry-1.docker.io" {
		host = name.DefaultRegistry
	}
	reg, err := name.NewRegistry(host)
	if err != nil {
		return nil, fmt.Errorf("parsing registry %q: %w", host, err)
	}
	authr, err := a.kc.Resolve(reg)
	if err != nil {
		return nil, fmt.Errorf("resolving credentials for %q: %w", host, err)
	}
	cfg, err := authr.Authorization()
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %q: %w", host, err)
	}
	if cfg.IdentityToken != "" {
		// BuildKit's convention: no username means the secret is a token.
		return &auth.CredentialsResponse{Secret: cfg.IdentityToken}, nil
	}
	return &auth.CredentialsResponse{Username: cfg.Username, Secret: cfg.Password}, nil
}
