package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	// The forges register themselves with package forge.
	_ "github.com/paved-dev/paved/fleet/forge/gitea"
	"github.com/paved-dev/paved/fleet/forge/github"
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
	// envGitHubAppKey holds a GitHub App's private key (PEM), the
	// alternative to --github-app-private-key-file.
	envGitHubAppKey = "PAVED_GITHUB_APP_PRIVATE_KEY"
)

// githubAppFlags authenticate to GitHub as an App installation instead of
// with PAVED_GITHUB_TOKEN.
type githubAppFlags struct {
	id, installation int64
	keyFile          string
}

func (f *githubAppFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Int64Var(&f.id, "github-app-id", 0, "act on GitHub as this GitHub App (with --github-app-installation-id and its private key) instead of with "+envGitHubToken)
	fl.Int64Var(&f.installation, "github-app-installation-id", 0, "the GitHub App's installation on the organisation")
	fl.StringVar(&f.keyFile, "github-app-private-key-file", "", "the GitHub App's private key (PEM; default: the key in "+envGitHubAppKey+")")
}

// token exchanges the App's JWT for an installation token ("" when no App
// is given): opts reach the GitHub API as the forge's do.
func (f githubAppFlags) token(ctx context.Context, opts ...forge.Option) (string, error) {
	if f.id == 0 && f.installation == 0 && f.keyFile == "" {
		return "", nil
	}
	if f.id <= 0 || f.installation <= 0 {
		return "", usageError{errors.New("--github-app-id and --github-app-installation-id go together: give both, with the App's private key")}
	}
	if os.Getenv(envGitHubToken) != "" {
		return "", usageError{fmt.Errorf("both %s and --github-app-id are set: use one way to authenticate to GitHub", envGitHubToken)}
	}
	app := github.App{ID: f.id, InstallationID: f.installation, KeySource: envGitHubAppKey, PrivateKey: []byte(os.Getenv(envGitHubAppKey))}
	if f.keyFile != "" {
		key, err := os.ReadFile(f.keyFile)
		if err != nil {
			return "", usageError{fmt.Errorf("reading --github-app-private-key-file %q: %w", f.keyFile, err)}
		}
		app.PrivateKey, app.KeySource = key, strconv.Quote(f.keyFile)
	}
	if len(app.PrivateKey) == 0 {
		return "", usageError{fmt.Errorf("--github-app-id needs the App's private key: give --github-app-private-key-file or set %s", envGitHubAppKey)}
	}
	return github.InstallationToken(ctx, app, opts...)
}

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
func forgesFromEnv(ctx context.Context, app githubAppFlags) (map[string]fleet.Forge, map[string]fleet.Changes, error) {
	forges, changes := map[string]fleet.Forge{}, map[string]fleet.Changes{}
	ua := forge.WithUserAgent("paved/" + pavedVersion())
	appToken, err := app.token(ctx, githubAppOptions(ua)...)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range forge.Names() {
		tokenEnv, urlEnv := forgeEnv(name)
		tok := os.Getenv(tokenEnv)
		if name == "github" && appToken != "" {
			tok = appToken
		}
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

// githubAppOptions are the options of the App's token exchange: the
// GitHub API URL of the environment.
func githubAppOptions(ua forge.Option) []forge.Option {
	if u := os.Getenv(envGitHubAPIURL); u != "" {
		return []forge.Option{ua, forge.WithBaseURL(u)}
	}
	return []forge.Option{ua}
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
