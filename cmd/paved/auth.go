package main

import (
	"github.com/google/go-containerregistry/pkg/authn"
)

// keychain returns the credentials paved uses for every registry call: the
// Docker config file ($DOCKER_CONFIG) or, for one registry, $PAVED_REGISTRY_*.
// Never argv.
func keychain() authn.Keychain {
	user, pass := getenv(envRegistryUsername), getenv(envRegistryPassword)
	if user == "" || pass == "" {
		return authn.DefaultKeychain
	}
	return authn.NewMultiKeychain(envKeychain{host: getenv(envRegistryHost), auth: &authn.Basic{Username: user, Password: pass}}, authn.DefaultKeychain)
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
