package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	// The forges register themselves with package forge.
	_ "github.com/paved-dev/paved/fleet/forge/gitea"
	_ "github.com/paved-dev/paved/fleet/forge/github"
	_ "github.com/paved-dev/paved/fleet/forge/gitlab"
)

// Forge credentials and endpoints. Tokens are read here and handed to the
// forge clients; they never appear in flags, logs or errors.
const (
	envGitHubToken  = "PAVED_GITHUB_TOKEN"
	envGitHubAPIURL = "PAVED_GITHUB_API_URL" // GitHub Enterprise: https://github.example.com/api/v3
	envGitLabToken  = "PAVED_GITLAB_TOKEN"
	envGitLabAPIURL = "PAVED_GITLAB_API_URL" // self-managed GitLab: https://gitlab.example.com/api/v4
	envGiteaToken   = "PAVED_GITEA_TOKEN"
	envGiteaAPIURL  = "PAVED_GITEA_API_URL" // required: https://gitea.example.com/api/v1
)

// forgeEnv names the token and API URL variables of the registered forge
// name: PAVED_<NAME>_TOKEN and PAVED_<NAME>_API_URL.
func forgeEnv(name string) (token, apiURL string) {
	n := "PAVED_" + strings.ToUpper(name)
	return n + "_TOKEN", n + "_API_URL"
}

// forgesFromEnv returns the registered forges (forge.Names: "gitea",
// "github", "gitlab") whose token is set, by the names fleet.yaml's
// discover entries and --forge use: as repository discovery and as the
// openers of bump changes.
func forgesFromEnv() (map[string]fleet.Forge, map[string]fleet.Changes, error) {
	forges, changes := map[string]fleet.Forge{}, map[string]fleet.Changes{}
	ua := forge.WithUserAgent("paved/" + pavedVersion())
	for _, name := range forge.Names() {
		tokenEnv, urlEnv := forgeEnv(name)
		tok := os.Getenv(tokenEnv)
		if tok == "" {
			continue
		}
		c, err := forge.New(name, forge.Config{Token: tok, BaseURL: os.Getenv(urlEnv), Options: []forge.Option{ua}})
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s and %s: %w", tokenEnv, urlEnv, err)
		}
		forges[name], changes[name] = c, c
	}
	return forges, changes, nil
}

// loadFleet loads the fleet file and checks that its discover entries name
// registered forges.
func loadFleet(file string) (*fleet.Fleet, error) {
	fl, err := fleet.Load(file)
	if err != nil {
		return nil, err
	}
	for i, d := range fl.Discover {
		if err := forge.Known(d.Forge); err != nil {
			return nil, fmt.Errorf("reading %q: discover[%d]: %w", file, i, err)
		}
	}
	return fl, nil
}
