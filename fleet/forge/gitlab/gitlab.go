// Package gitlab is the GitLab forge: it discovers a group's projects,
// subgroups included (fleet.Forge), and opens, follows and closes the merge
// requests of a campaign's bump changes (fleet.Changes), through GitLab's
// REST API v4 on gitlab.com or a self-managed GitLab.
//
// A repository is named by its clone URL; its project path is the URL's
// path: https://gitlab.example.com/platform/services/api.git,
// ssh://git@gitlab.example.com:2222/platform/services/api.git and
// git@gitlab.example.com:platform/services/api.git all mean project
// platform/services/api, which the API addresses URL-encoded
// (platform%2Fservices%2Fapi). The URL's host is not checked against the
// API's.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	gl "gitlab.com/gitlab-org/api/client-go"
	"golang.org/x/time/rate"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// DefaultBaseURL is gitlab.com's REST API.
const DefaultBaseURL = "https://gitlab.com/api/v4"

// Rights a token needs, named in 401/403 errors.
const (
	scopeRead  = "the read_api scope and at least the Reporter role on the group"
	scopeWrite = "the api scope and at least the Developer role on the project"
)

// Forge is GitLab, on GitLab's client-go: its requests go through
// forge.API's transport, which sends the token and retries what may pass
// (client-go's own retries and rate limiter are off, so a call is retried
// in one place). It is safe for concurrent use.
type Forge struct {
	api *forge.API
	gl  *gl.Client
}

var (
	_ fleet.Forge   = (*Forge)(nil)
	_ fleet.Changes = (*Forge)(nil)
	_ fleet.Checks  = (*Forge)(nil)
)

func init() {
	forge.Register("gitlab", func(c forge.Config) (forge.Client, error) { return New(c.Token, c.APIOptions()...) })
}

// New returns the GitLab forge at DefaultBaseURL (forge.WithBaseURL for a
// self-managed GitLab, ending in /api/v4), calling it with token, which is
// sent as the PRIVATE-TOKEN header and never appears in an error.
func New(token string, opts ...forge.Option) (*Forge, error) {
	api, err := forge.NewAPI(DefaultBaseURL, token, forge.Auth{Header: "PRIVATE-TOKEN"}, http.Header{"Accept": {"application/json"}}, opts...)
	if err != nil {
		return nil, err
	}
	c, err := gl.NewClient(token, gl.WithBaseURL(api.BaseURL()), gl.WithHTTPClient(&http.Client{Transport: api.Transport()}),
		gl.WithoutRetries(), gl.WithCustomLimiter(rate.NewLimiter(rate.Inf, 0)))
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading forge API URL %q: %w", api.BaseURL(), err))
	}
	return &Forge{api: api, gl: c}, nil
}

// Repositories lists the projects of group (a path such as
// "platform/services") and of its subgroups (GET /groups/:id/projects
// ?include_subgroups=true), following X-Next-Page, as services named after
// the projects' paths with their https clone URLs. Archived projects and
// projects shared into the group from elsewhere are left out.
func (f *Forge) Repositories(ctx context.Context, group string) ([]fleet.Service, error) {
	var out []fleet.Service
	resp, err := each(func(lo gl.ListOptions) ([]*gl.Project, *gl.Response, error) {
		return f.gl.Groups.ListGroupProjects(group, &gl.ListGroupProjectsOptions{
			ListOptions: lo, IncludeSubGroups: gl.Ptr(true), WithShared: gl.Ptr(false), Archived: gl.Ptr(false),
			OrderBy: gl.Ptr("path"), Sort: gl.Ptr("asc"),
		}, gl.WithContext(ctx))
	}, func(p *gl.Project) {
		if !p.Archived {
			out = append(out, fleet.Service{Repository: p.HTTPURLToRepo, Name: p.Path})
		}
	})
	if err != nil {
		return nil, f.fail(fmt.Sprintf("listing the projects of GitLab group %q", group), scopeRead, resp, err)
	}
	return out, nil
}

// each calls list for every page, 100 items a page, handing fn each item,
// until GitLab's X-Next-Page header names no next page.
// The last response is returned with the error, for fail.
func each[T any](list func(gl.ListOptions) ([]T, *gl.Response, error), fn func(T)) (*gl.Response, error) {
	lo := gl.ListOptions{PerPage: 100}
	for {
		items, resp, err := list(lo)
		if err != nil {
			return resp, err
		}
		for _, it := range items {
			fn(it)
		}
		if resp.NextPage == 0 || len(items) == 0 {
			return resp, nil
		}
		lo.Page = resp.NextPage
	}
}

// fail is paved's error for call what that client-go answered with err
// and resp: the transport's own (retries run out, the host left) as it
// is, GitLab's answers classified by forge.API.Fail (client-go's bare
// ErrNotFound too, from resp).
func (f *Forge) fail(what, scope string, resp *gl.Response, err error) error {
	var (
		ue *url.Error
		er *gl.ErrorResponse
	)
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.As(err, &er) && er.Response != nil:
		return f.api.Fail(what, scope, er.Response)
	case errors.Is(err, gl.ErrNotFound) && resp != nil && resp.Response != nil:
		return f.api.Fail(what, scope, resp.Response)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// projectPath maps a clone URL to the project's path, which client-go
// sends as the API's project id, URL-encoded.
func projectPath(cloneURL string) (string, error) {
	_, path, err := forge.RepoPath(cloneURL)
	return path, err
}
