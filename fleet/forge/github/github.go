// Package github is the GitHub forge: it discovers an organisation's
// repositories (fleet.Forge) and opens, follows and closes the pull requests
// of a campaign's bump changes (fleet.Changes), through GitHub's REST API on
// github.com or a GitHub Enterprise Server.
//
// A repository is named by its clone URL; its owner and name are the URL's
// path: https://github.com/acme/api.git, ssh://git@github.com/acme/api.git
// and git@github.com:acme/api.git all mean acme/api. The URL's host is not
// checked against the API's: a GitHub Enterprise Server serves its API on
// another host name or path (https://github.example.com/api/v3).
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
)

// DefaultBaseURL is github.com's REST API.
const DefaultBaseURL = "https://api.github.com"

// Rights a token needs, named in 401/403 errors: a fine-grained token's
// repository permissions, or a classic token's scopes.
const (
	scopeRead   = "read access to the repositories (fine-grained: Metadata read; classic: repo, or public_repo for public repositories, and read:org)"
	scopePulls  = "Pull requests read and write on the repository (classic: repo)"
	scopeIssues = "Pull requests or Issues write on the repository for labels and comments (classic: repo)"
)

// Forge is GitHub. It is safe for concurrent use.
type Forge struct {
	api *forge.API
}

var (
	_ fleet.Forge   = (*Forge)(nil)
	_ fleet.Changes = (*Forge)(nil)
	_ fleet.Checks  = (*Forge)(nil)
)

func init() {
	forge.Register("github", func(c forge.Config) (forge.Client, error) { return New(c.Token, c.APIOptions()...) })
}

// New returns the GitHub forge at DefaultBaseURL (forge.WithBaseURL for
// GitHub Enterprise Server), calling it with token, which is sent as
// "Authorization: Bearer" and never appears in an error.
func New(token string, opts ...forge.Option) (*Forge, error) {
	api, err := forge.NewAPI(DefaultBaseURL, token, forge.Auth{Header: "Authorization", Prefix: "Bearer "}, http.Header{
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Forge{api: api}, nil
}

type repository struct {
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	CloneURL string `json:"clone_url"`
	Archived bool   `json:"archived"`
	Disabled bool   `json:"disabled"`
}

// Repositories lists the repositories of organisation (GET
// /orgs/{org}/repos, or /users/{user}/repos when organisation is a user
// account), following every page, as services named after the
// repositories with their https clone URLs. Archived and disabled
// repositories are left out: they take no pull requests.
func (f *Forge) Repositories(ctx context.Context, organisation string) ([]fleet.Service, error) {
	what := fmt.Sprintf("listing the repositories of GitHub organisation %q", organisation)
	q := url.Values{"per_page": {"100"}, "type": {"all"}}
	call := forge.Call{What: what, Method: http.MethodGet, Path: "/orgs/" + url.PathEscape(organisation) + "/repos", Query: q, Scope: scopeRead}
	var out []fleet.Service
	for page := 0; ; page++ {
		var repos []repository
		h, err := f.api.Do(ctx, call, &repos)
		if page == 0 && errors.Is(err, forge.ErrNotFound) {
			call.Path, call.Query = "/users/"+url.PathEscape(organisation)+"/repos", url.Values{"per_page": {"100"}, "type": {"owner"}}
			h, err = f.api.Do(ctx, call, &repos)
		}
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			if !r.Archived && !r.Disabled {
				out = append(out, fleet.Service{Repository: r.CloneURL, Name: r.Name})
			}
		}
		next := forge.NextLink(h)
		if next == "" {
			return out, nil
		}
		call = forge.Call{What: what, Method: http.MethodGet, URL: next, Scope: scopeRead}
	}
}

// repo maps a clone URL to owner and name.
func repo(cloneURL string) (owner, name string, err error) {
	return forge.OwnerName(cloneURL, "GitHub")
}
