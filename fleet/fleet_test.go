package fleet

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

const header = "apiVersion: paved.dev/v1\nkind: Fleet\n"

func TestParse(t *testing.T) {
	f, err := Parse("/etc/fleet/fleet.yaml", []byte(header+`gitops:
  repository: ../gitops.git
services:
  - repository: https://git.example.com/acme/go-api.git
    tier: "1"
    team: payments
  - repository: repos/py-api.git
    name: python-api
  - repository: git@git.example.com:acme/node-api.git
`))
	require.NoError(t, err)
	require.Equal(t, "/etc/gitops.git", f.GitOps.Repository)
	require.Equal(t, []Service{
		{Repository: "https://git.example.com/acme/go-api.git", Tier: "1", Team: "payments"},
		{Repository: "/etc/fleet/repos/py-api.git", Name: "python-api"},
		{Repository: "git@git.example.com:acme/node-api.git"},
	}, f.Services)
}

func TestParseBadInput(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"empty", "", "empty file"},
		{"wrong kind", "apiVersion: paved.dev/v1\nkind: Service\nservices: [{repository: a}]\n", `line 2: wrong kind of file: kind is "Service", so this is a paved.yaml, not a fleet file (kind: Fleet)`},
		{"unknown key", header + "service:\n  - repository: a\n", `unknown key "service" at the top level (did you mean "services"?)`},
		{"nothing listed", header + "gitops: {repository: g}\n", "no services"},
		{"missing repository", header + "services: [{name: a}]\n", "services[0]: repository is required"},
		{"duplicate repository", header + "services: [{repository: a}, {repository: a}]\n", "listed twice"},
		{"duplicate name", header + "services: [{repository: a, name: x}, {repository: b, name: x}]\n", "taken by services[0]"},
		{"discover without organisation", header + "discover: [{forge: github}]\n", "organisation are required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("fleet.yaml", []byte(tc.data))
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, `"fleet.yaml"`)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

func TestRepoName(t *testing.T) {
	for in, want := range map[string]string{
		"https://git.example.com/acme/go-api.git": "go-api",
		"git@git.example.com:acme/node-api.git":   "node-api",
		"git@git.example.com:svc.git":             "svc",
		filepath.Join("/tmp", "fleet", "py.git"):  "py",
		"file:///srv/git/worker/":                 "worker",
	} {
		require.Equal(t, want, RepoName(in), in)
	}
}

// fakeForge is a forge with fixed organisations.
type fakeForge map[string][]Service

func (f fakeForge) Repositories(_ context.Context, org string) ([]Service, error) {
	repos, ok := f[org]
	if !ok {
		return nil, errors.New("organisation not found")
	}
	return repos, nil
}

func TestResolve(t *testing.T) {
	f, err := Parse("fleet.yaml", []byte(header+`services:
  - repository: https://forge/acme/a.git
    name: a
    tier: "0"
discover:
  - forge: fake
    organisation: acme
    exclude: [c]
    team: core
`))
	require.NoError(t, err)
	forge := fakeForge{"acme": {
		{Repository: "https://forge/acme/a.git", Name: "a"},
		{Repository: "https://forge/acme/b.git", Name: "b", Team: "web"},
		{Repository: "https://forge/acme/c.git", Name: "c"},
		{Repository: "https://forge/acme/d.git", Name: "d"},
	}}
	got, err := f.Resolve(context.Background(), map[string]Forge{"fake": forge})
	require.NoError(t, err)
	require.Equal(t, []Service{
		{Repository: "https://forge/acme/a.git", Name: "a", Tier: "0"},
		{Repository: "https://forge/acme/b.git", Name: "b", Team: "web"},
		{Repository: "https://forge/acme/d.git", Name: "d", Team: "core"},
	}, got)

	_, err = f.Resolve(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoForge)
	require.Equal(t, failure.BadInput, failure.KindOf(err))

	f.Discover[0].Organisation = "nope"
	_, err = f.Resolve(context.Background(), map[string]Forge{"fake": forge})
	require.ErrorContains(t, err, "discovering fake/nope: organisation not found")
}
