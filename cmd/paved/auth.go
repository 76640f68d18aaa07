package main

import (
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Registry credentials come from the Docker config file ($DOCKER_CONFIG) or,
// for one registry, from these environment variables. Never from argv.
const (
	envRegistryHost     = "PAVED_REGISTRY"
	envRegistryUsername = "PAVED_REGISTRY_USERNAME"
	envRegistryPassword = "PAVED_REGISTRY_PASSWORD"
)

// keychain returns the credentials paved uses for every registry call.
func keychain() authn.Keychain {
	user, pass := os.Getenv(envRegistryUsername), os.Getenv(envRegistryPassword)
	if user == "" || pass == "" {
		return authn.DefaultKeychain
	}
	return authn.NewMultiKeychain(envKeychain{host: os.Getenv(envRegistryHost), auth: &authn.Basic{Username: user, Password: pass}}, authn.DefaultKeychain)
}

// envKeychain answers with one credential for one registry host (or for
// every host when host is empty).
type envKeychain struct {
	host string
	auth authn.Authenticator
}

func (e envKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if e.host != "" && r.RegistryStr() != e.host {
		return authn.Anonymous, nil
	}
	return e.auth, nil
}
