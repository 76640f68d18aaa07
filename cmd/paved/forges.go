package main

import (
	"fmt"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/gitea"
	"github.com/paved-dev/paved/fleet/forge/github"
	"github.com/paved-dev/paved/fleet/forge/gitlab"
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

// forgeTokenEnv is the token variable of each forge --forge names.
var forgeTokenEnv = map[string]string{"github": envGitHubToken, "gitlab": envGitLabToken, "gitea": envGiteaToken}

// forgesFromEnv returns the forges whose token is set, by the names
// fleet.yaml's discover entries use ("github", "gitlab", "gitea"): as
// repository discovery and as the openers of bump changes.
func forgesFromEnv() (map[string]fleet.Forge, map[string]fleet.Changes, error) {
	forges, changes := map[string]fleet.Forge{}, map[string]fleet.Changes{}
	ua := forge.WithUserAgent("paved/" + pavedVersion())
	withURL := func(env string) []forge.Option {
		if u := getenv(env); u != "" {
			return []forge.Option{ua, forge.WithBaseURL(u)}
		}
		return []forge.Option{ua}
	}
	if tok := getenv(envGitHubToken); tok != "" {
		gh, err := github.New(tok, withURL(envGitHubAPIURL)...)
		if err != nil {
			return nil, nil, err
		}
		forges["github"], changes["github"] = gh, gh
	}
	if tok := getenv(envGitLabToken); tok != "" {
		gl, err := gitlab.New(tok, withURL(envGitLabAPIURL)...)
		if err != nil {
			return nil, nil, err
		}
		forges["gitlab"], changes["gitlab"] = gl, gl
	}
	if tok := getenv(envGiteaToken); tok != "" {
		gt, err := gitea.New(getenv(envGiteaAPIURL), tok, ua)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", envGiteaAPIURL, err)
		}
		forges["gitea"], changes["gitea"] = gt, gt
	}
	return forges, changes, nil
}
