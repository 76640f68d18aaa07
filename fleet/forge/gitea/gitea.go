// Package gitea is the Gitea (and Forgejo) forge: it discovers an
// organisation's repositories (fleet.Forge), opens, follows, merges and
// closes the pull requests of a campaign's bump changes (fleet.Changes,
// fleet.Merger) and reads the commit statuses CI integrations post
// (fleet.Checks), through Gitea's REST API (/api/v1).
//
// Gitea is self-hosted, so there is no default API URL: New takes it. A
// repository is named by its clone URL, whose path is owner/name.
package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Rights a token needs, named in 401/403 errors: Gitea's token scopes.
const (
	scopeRead   = "the read:organization and read:repository scopes"
	scopePulls  = "the write:repository scope (pull requests)"
	scopeIssues = "the write:issue scope (labels and comments)"
)

// pageSize is how many items a list call asks for; Gitea caps it at its
// [api] MAX_RESPONSE_ITEMS (50 by default) and says so in its Link header.
const pageSize = "50"

// Forge is a Gitea. It is safe for concurrent use.
type Forge struct {
	api *forge.API
}

var (
	_ fleet.Forge   = (*Forge)(nil)
	_ fleet.Changes = (*Forge)(nil)
	_ fleet.Merger  = (*Forge)(nil)
	_ fleet.Checks  = (*Forge)(nil)
)

func init() {
	forge.Register("gitea", func(c forge.Config) (forge.Client, error) { return New(c.BaseURL, c.Token, c.Options...) })
}

// New returns the Gitea whose API is at apiURL
// ("https://gitea.example.com/api/v1"), calling it with token, which is
// sent as "Authorization: token" and never appears in an error.
func New(apiURL, token string, opts ...forge.Option) (*Forge, error) {
	if strings.TrimSpace(apiURL) == "" {
		return nil, failure.BadInputErr(errors.New("connecting to Gitea: no API URL: set it to https://gitea.example.com/api/v1"))
	}
	opts = append([]forge.Option{forge.WithBaseURL(apiURL)}, opts...)
	api, err := forge.NewAPI(apiURL, token, forge.Auth{Header: "Authorization", Prefix: "token "}, http.Header{
		"Accept": {"application/json"},
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Forge{api: api}, nil
}

type repository struct {
	Name     string `json:"name"`
	CloneURL string `json:"clone_url"`
	Archived bool   `json:"archived"`
	Empty    bool   `json:"empty"`
	Mirror   bool   `json:"mirror"`
}

// Repositories lists the repositories of organisation (GET
// /orgs/{org}/repos, or /users/{user}/repos when organisation is a user),
// following every page, as services named after the repositories with
// their clone URLs. Archived, empty and mirror repositories are left out:
// they take no pull requests.
func (f *Forge) Repositories(ctx context.Context, organisation string) ([]fleet.Service, error) {
	what := fmt.Sprintf("listing the repositories of Gitea organisation %q", organisation)
	q := url.Values{"limit": {pageSize}}
	call := forge.Call{What: what, Method: http.MethodGet, Path: "/orgs/" + url.PathEscape(organisation) + "/repos", Query: q, Scope: scopeRead}
	var out []fleet.Service
	for page := 0; ; page++ {
		var repos []repository
		h, err := f.api.Do(ctx, call, &repos)
		if page == 0 && errors.Is(err, forge.ErrNotFound) {
			call.Path = "/users/" + url.PathEscape(organisation) + "/repos"
			h, err = f.api.Do(ctx, call, &repos)
		}
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			if !r.Archived && !r.Empty && !r.Mirror {
				out = append(out, fleet.Service{Repository: r.CloneURL, Name: r.Name})
			}
		}
		next := forge.NextLink(h)
		if next == "" || len(repos) == 0 {
			return out, nil
		}
		call = forge.Call{What: what, Method: http.MethodGet, URL: next, Scope: scopeRead}
	}
}

// repo maps a clone URL to owner and name.
func repo(cloneURL string) (owner, name string, err error) {
	return forge.OwnerName(cloneURL, "Gitea")
}

func repoPath(owner, name string) string {
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
}
