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
	"fmt"
	"net/http"
	"net/url"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
)

// DefaultBaseURL is gitlab.com's REST API.
const DefaultBaseURL = "https://gitlab.com/api/v4"

// Rights a token needs, named in 401/403 errors.
const (
	scopeRead  = "the read_api scope and at least the Reporter role on the group"
	scopeWrite = "the api scope and at least the Developer role on the project"
)

// Forge is GitLab. It is safe for concurrent use.
type Forge struct {
	api *forge.API
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
	return &Forge{api: api}, nil
}

type project struct {
	Path          string `json:"path"`
	PathWithNS    string `json:"path_with_namespace"`
	HTTPURLToRepo string `json:"http_url_to_repo"`
	Archived      bool   `json:"archived"`
}

// Repositories lists the projects of group (a path such as
// "platform/services") and of its subgroups (GET /groups/:id/projects
// ?include_subgroups=true), following X-Next-Page, as services named after
// the projects' paths with their https clone URLs. Archived projects and
// projects shared into the group from elsewhere are left out.
func (f *Forge) Repositories(ctx context.Context, group string) ([]fleet.Service, error) {
	q := url.Values{"include_subgroups": {"true"}, "with_shared": {"false"}, "archived": {"false"}, "per_page": {"100"}, "order_by": {"path"}, "sort": {"asc"}}
	call := forge.Call{
		What:   fmt.Sprintf("listing the projects of GitLab group %q", group),
		Method: http.MethodGet, Path: "/groups/" + url.PathEscape(group) + "/projects", Query: q, Scope: scopeRead,
	}
	var out []fleet.Service
	for {
		var projects []project
		h, err := f.api.Do(ctx, call, &projects)
		if err != nil {
			return nil, err
		}
		for _, p := range projects {
			if !p.Archived {
				out = append(out, fleet.Service{Repository: p.HTTPURLToRepo, Name: p.Path})
			}
		}
		next := h.Get("X-Next-Page")
		if next == "" {
			return out, nil
		}
		q.Set("page", next)
	}
}

// projectPath maps a clone URL to the API's project id: its path, encoded.
func projectPath(cloneURL string) (path, id string, err error) {
	_, path, err = forge.RepoPath(cloneURL)
	if err != nil {
		return "", "", err
	}
	return path, "/projects/" + url.PathEscape(path), nil
}
