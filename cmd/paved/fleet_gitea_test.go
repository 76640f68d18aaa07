//go:build forge

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/internal/giteatest"
)

// TestFleetCampaignGitea drives a campaign through the CLI on a real
// Gitea: services discovered from an organisation, pull requests merged
// with --auto-merge, the gate passed on the commit statuses CI posts, and
// status showing each service's CI link. The token never shows.
func TestFleetCampaignGitea(t *testing.T) {
	srv := giteatest.Start(t)
	srv.CreateOrg(t, "acme")
	for _, name := range []string{"svc-a", "svc-b"} {
		srv.CreateRepo(t, "acme", name)
		srv.CommitFile(t, "acme", name, "main", ".github/workflows/paved.yml", campaignOldPin)
	}
	dir := t.TempDir()
	state := fleettest.NewRepo(t, dir, "state", map[string]string{"README.md": "campaign state\n"})
	fleetYAML := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(fleetYAML, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ndiscover:\n  - forge: gitea\n    organisation: acme\n"), 0o644))
	t.Setenv("PAVED_GITEA_TOKEN", srv.Token)
	t.Setenv("PAVED_GITEA_API_URL", srv.API)
	t.Setenv("PAVED_GIT_TOKEN", srv.Token)
	t.Setenv("PAVED_GIT_AUTHOR_NAME", "paved test")
	paved := func(args ...string) (int, string, string) {
		code, out, errOut := runPaved(t, append(append([]string{"fleet", "campaign"}, args...), "--fleet", fleetYAML, "--state-repo", state.Dir, "--forge", "gitea")...)
		require.NotContains(t, out+errOut, srv.Token)
		return code, out, errOut
	}
	code, _, errOut := paved("start", "--paved-version", "v0.3.0", "--waves", "100%", "--health-check", "paved / *")
	require.Equal(t, 0, code, errOut)

	var c struct {
		State    string
		Services []struct {
			Name   string
			Status string
			Change struct{ MergeCommit string }
		}
	}
	for try := 0; ; try++ {
		code, out, errOut := paved("advance", "paved-v0.3.0", "--auto-merge", "--output", "json")
		require.Contains(t, []int{0, 4}, code, "4: Gitea still checks mergeability: "+errOut)
		require.NoError(t, json.Unmarshal([]byte(out), &c), out)
		if c.Services[0].Status == "merged" && c.Services[1].Status == "merged" {
			break
		}
		require.Less(t, try, 40, out+errOut)
		time.Sleep(250 * time.Millisecond)
	}
	for _, s := range c.Services {
		srv.Status(t, "acme", s.Name, s.Change.MergeCommit, "paved / build-scan-deploy (push)", "success", "http://ci.example/"+s.Name)
	}
	code, out, errOut := paved("advance", "paved-v0.3.0", "--auto-merge")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "campaign paved-v0.3.0: done")
	code, out, errOut = paved("status", "paved-v0.3.0")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `svc-a +canary +merged +ok at paved / build-scan-deploy \(push\) +ci http://ci.example/svc-a +#1 `+srv.URL+`/acme/svc-a/pulls/1 +-\n`, out)
	code, page, errOut := paved("status", "paved-v0.3.0", "--output", "html")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, page, `<a href="`+srv.URL+`/acme/svc-a/pulls/1">#1</a>`, "the change's link")
	require.Contains(t, page, `<a href="http://ci.example/svc-a">log</a>`, "the CI result's link")
}
