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
	"time"

	gh "github.com/google/go-github/v73/github"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
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

// Forge is GitHub, on go-github: its requests go through forge.API's
// transport, which sends the token and retries what may pass. It is safe
// for concurrent use.
type Forge struct {
	api *forge.API
	gh  *gh.Client
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
	c := gh.NewClient(&http.Client{Transport: api.Transport()})
	if c.BaseURL, err = url.Parse(api.BaseURL() + "/"); err != nil {
		return nil, fmt.Errorf("reading forge API URL %q: %w", api.BaseURL(), err)
	}
	return &Forge{api: api, gh: c}, nil
}

// Repositories lists the repositories of organisation (GET
// /orgs/{org}/repos, or /users/{user}/repos when organisation is a user
// account), following every page, as services named after the
// repositories with their https clone URLs. Archived and disabled
// repositories are left out: they take no pull requests.
func (f *Forge) Repositories(ctx context.Context, organisation string) ([]fleet.Service, error) {
	what := fmt.Sprintf("listing the repositories of GitHub organisation %q", organisation)
	var out []fleet.Service
	keep := func(r *gh.Repository) {
		if !r.GetArchived() && !r.GetDisabled() {
			out = append(out, fleet.Service{Repository: r.GetCloneURL(), Name: r.GetName()})
		}
	}
	err := each(func(lo gh.ListOptions) ([]*gh.Repository, *gh.Response, error) {
		return f.gh.Repositories.ListByOrg(ctx, organisation, &gh.RepositoryListByOrgOptions{Type: "all", ListOptions: lo})
	}, keep)
	if err != nil && errors.Is(f.fail(what, scopeRead, err), forge.ErrNotFound) && len(out) == 0 {
		err = each(func(lo gh.ListOptions) ([]*gh.Repository, *gh.Response, error) {
			return f.gh.Repositories.ListByUser(ctx, organisation, &gh.RepositoryListByUserOptions{Type: "owner", ListOptions: lo})
		}, keep)
	}
	if err != nil {
		return nil, f.fail(what, scopeRead, err)
	}
	return out, nil
}

// each calls list for every page, 100 items a page, handing fn each item,
// until GitHub's Link header names no next page.
func each[T any](list func(gh.ListOptions) ([]T, *gh.Response, error), fn func(T)) error {
	lo := gh.ListOptions{PerPage: 100}
	for {
		items, resp, err := list(lo)
		if err != nil {
			return err
		}
		for _, it := range items {
			fn(it)
		}
		if resp.NextPage == 0 || len(items) == 0 {
			return nil
		}
		lo.Page = resp.NextPage
	}
}

// fail is paved's error for call what that go-github answered with err:
// the transport's own (retries run out, the host left) as it is, GitHub's
// answers classified by forge.API.Fail, a rate limit go-github keeps to
// itself transient.
func (f *Forge) fail(what, scope string, err error) error {
	var (
		ue    *url.Error
		rl    *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
		er    *gh.ErrorResponse
	)
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.As(err, &rl):
		return failure.TransientErr(fmt.Errorf("%s: GitHub's rate limit is used up until %s: try again then", what, rl.Rate.Reset.Format(time.RFC3339)))
	case errors.As(err, &abuse):
		return failure.TransientErr(fmt.Errorf("%s: GitHub's secondary rate limit: try again in %s", what, abuse.GetRetryAfter()))
	case errors.As(err, &er) && er.Response != nil:
		return f.api.Fail(what, scope, er.Response)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// repo maps a clone URL to owner and name.
func repo(cloneURL string) (owner, name string, err error) {
	return forge.OwnerName(cloneURL, "GitHub")
}
