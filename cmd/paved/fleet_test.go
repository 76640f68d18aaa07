package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/inventory"
)

// fleetFile writes a fleet of two reachable services and one unreachable
// one, with an empty GitOps repository, and returns the fleet file.
func fleetFile(t *testing.T) string {
	dir := t.TempDir()
	fleettest.NewRepo(t, filepath.Join(dir, "repos"), "api", map[string]string{
		".github/workflows/paved.yml": "    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.1.0\n",
		"Dockerfile":                  "FROM registry.example.com/platform/python-base:1.0\n",
	})
	fleettest.NewRepo(t, filepath.Join(dir, "repos"), "web", map[string]string{
		".gitlab-ci.yml": "include:\n  - component: gitlab.example.com/paved-dev/paved/build-scan-deploy@v0.2.0\n",
	})
	fleettest.NewRepo(t, dir, "gitops", map[string]string{"README.md": "nothing deployed yet\n"})
	file := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`apiVersion: paved.dev/v1
kind: Fleet
gitops:
  repository: gitops.git
services:
  - repository: repos/api.git
    team: core
  - repository: repos/web.git
  - repository: repos/gone.git
`), 0o644))
	return file
}

func runPaved(t *testing.T, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestFleetInventory(t *testing.T) {
	file := fleetFile(t)
	cache := t.TempDir()
	base := []string{"fleet", "inventory", "--fleet", file, "--cache-dir", cache, "--no-registry"}

	code, out, errOut := runPaved(t, base...)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `api\s+core\s+-\s+v0.1.0\s+outdated\s+registry.example.com/platform/python-base:1.0`, out)
	require.Regexp(t, `web\s+-\s+-\s+v0.2.0\s+current`, out)
	require.Regexp(t, `gone\s+.*unreachable.*check the repository URL`, out)
	require.Contains(t, errOut, "1 of 3 repositories could not be read")

	code, out, _ = runPaved(t, append(base, "--output", "json", "--uses-base", "python-base:1.0", "--latest", "v0.2.0")...)
	require.Equal(t, 0, code)
	var inv inventory.Inventory
	require.NoError(t, json.Unmarshal([]byte(out), &inv))
	require.Equal(t, inventory.Schema, inv.Schema)
	require.Len(t, inv.Query.Sources, 1)
	require.Equal(t, "api", inv.Query.Sources[0].Service)

	html := filepath.Join(t.TempDir(), "inventory.html")
	code, out, _ = runPaved(t, append(base, "--output", "html", "--out", html)...)
	require.Equal(t, 0, code)
	require.Empty(t, out)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	require.Contains(t, string(page), `<tr data-service="web" data-status="current">`)
}

func TestFleetInventoryBadInput(t *testing.T) {
	file := fleetFile(t)
	bad := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: paved.dev/v1\nkind: Fleet\nservices: [{name: x}]\n"), 0o644))
	unknownForge := filepath.Join(t.TempDir(), "fleet.yaml")
	require.NoError(t, os.WriteFile(unknownForge, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ndiscover: [{forge: gogs, organisation: acme}]\n"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing fleet file", []string{"--fleet", filepath.Join(t.TempDir(), "none.yaml")}, "none.yaml"},
		{"invalid fleet file", []string{"--fleet", bad}, "services[0]: repository is required"},
		{"unknown discover forge", []string{"--fleet", unknownForge}, `discover[0]: unknown forge "gogs": use gitea, github or gitlab`},
		{"unknown output", []string{"--fleet", file, "--output", "xml"}, `invalid --output "xml"`},
		{"no jobs", []string{"--fleet", file, "--jobs", "0"}, "invalid --jobs 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runPaved(t, append([]string{"fleet", "inventory", "--cache-dir", t.TempDir()}, tc.args...)...)
			require.Equal(t, 2, code)
			require.Contains(t, errOut, tc.want)
			require.Equal(t, 1, strings.Count(errOut, "\n"), "one line")
		})
	}
}

// TestFleetInventoryDiscoversFromGitHub: a discover entry reaches the GitHub
// API named by PAVED_GITHUB_API_URL with PAVED_GITHUB_TOKEN, and the token
// appears nowhere in the output.
func TestFleetInventoryDiscoversFromGitHub(t *testing.T) {
	const token = "ghp_test-token-never-printed"
	dir := t.TempDir()
	repo := fleettest.NewRepo(t, dir, "discovered", map[string]string{
		".github/workflows/paved.yml": "    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.2.0\n",
	})
	fleettest.NewRepo(t, dir, "gitops", map[string]string{"README.md": "nothing deployed yet\n"})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/orgs/acme/repos" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"name":"discovered","full_name":"acme/discovered","clone_url":%q}]`, repo.Dir)
	}))
	defer api.Close()
	file := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(file, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ngitops:\n  repository: gitops.git\ndiscover:\n  - forge: github\n    organisation: acme\n    team: found\n"), 0o644))
	args := []string{"fleet", "inventory", "--fleet", file, "--cache-dir", t.TempDir(), "--no-registry"}

	t.Setenv(envGitHubAPIURL, api.URL)
	code, _, errOut := runPaved(t, args...)
	require.Equal(t, 2, code, "no token: the github forge is unknown")
	require.Contains(t, errOut, `no such forge "github"`)

	t.Setenv(envGitHubToken, token)
	code, out, errOut := runPaved(t, args...)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `discovered\s+found\s+-\s+v0.2.0`, out)

	t.Setenv(envGitHubToken, "ghp_wrong-token-never-printed")
	code, out, errOut = runPaved(t, args...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "acme")
	require.NotContains(t, out+errOut, "never-printed")
}
