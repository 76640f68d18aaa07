package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/campaign"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/pipelines/record"
)

const (
	campaignOldPin = "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.2.0\n"
	campaignNewPin = "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.3.0\n"
)

// TestFleetCampaignCLI takes three services through the CLI: the canary
// merges and passes its gate, a failed run in the second wave halts the
// campaign with exit 3 naming the service and step, and rollback puts every
// service back on v0.2.0 with forward commits.
func TestFleetCampaignCLI(t *testing.T) {
	dir := t.TempDir()
	state := fleettest.NewRepo(t, dir, "state", map[string]string{"README.md": "campaign state\n"})
	var repos []*fleettest.Repo
	var entries strings.Builder
	for _, name := range []string{"svc-a", "svc-b", "svc-c"} {
		r := fleettest.NewRepo(t, filepath.Join(dir, "repos"), name, map[string]string{".github/workflows/paved.yml": campaignOldPin})
		repos = append(repos, r)
		fmt.Fprintf(&entries, "  - repository: repos/%s.git\n    name: %s\n", name, name)
	}
	fleetYAML := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(fleetYAML, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ngitops:\n  repository: state.git\nservices:\n"+entries.String()), 0o644))
	common := []string{"--fleet", fleetYAML, "--state-repo", state.Dir}
	t.Setenv("PAVED_GIT_AUTHOR_NAME", "paved test")
	paved := func(args ...string) (int, string, string) {
		return runPaved(t, append(append([]string{"fleet", "campaign"}, args...), common...)...)
	}

	code, out, errOut := paved("start", "--paved-version", "v0.3.0", "--waves", "canary:svc-a,100%", "--id", "adopt-v0.3.0")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = paved("start", "--paved-version", "v0.3.0", "--waves", "100%", "--id", "again")
	require.Equal(t, 2, code, "a second campaign on the same target")
	require.Contains(t, errOut, "adopt-v0.3.0")

	code, out, errOut = paved("advance", "adopt-v0.3.0", "--auto-merge")
	require.Equal(t, 0, code, errOut+out)
	require.Equal(t, campaignNewPin, fleettest.ReadFile(t, repos[0].Dir, "main", ".github/workflows/paved.yml"))
	require.Equal(t, campaignOldPin, fleettest.ReadFile(t, repos[1].Dir, "main", ".github/workflows/paved.yml"), "wave 2 waits for the canary's gate")

	report(t, repos[0], "ok", "")
	code, out, errOut = paved("advance", "adopt-v0.3.0", "--auto-merge") // the canary passes; wave 2 merges
	require.Equal(t, 0, code, errOut+out)
	require.Equal(t, campaignNewPin, fleettest.ReadFile(t, repos[2].Dir, "main", ".github/workflows/paved.yml"))

	report(t, repos[1], "ok", "")
	report(t, repos[2], "failed", "scan")
	code, out, errOut = paved("advance", "adopt-v0.3.0", "--auto-merge")
	require.Equal(t, 3, code, "a failed run halts the campaign: "+errOut+out)
	require.Contains(t, errOut+out, "svc-c")
	require.Contains(t, errOut+out, "scan")

	code, out, errOut = paved("status", "adopt-v0.3.0", "--output", "json")
	require.Equal(t, 0, code, errOut)
	var c struct {
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &c))
	require.Equal(t, "halted", c.State)
	code, out, errOut = paved("status", "adopt-v0.3.0")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "EVIDENCE")
	require.Regexp(t, `svc-a +canary +merged +ok +run \.paved/runs/[0-9a-f]{40}\.json`, out, "the evidence the verdict rests on")

	code, out, errOut = paved("rollback", "adopt-v0.3.0")
	require.Equal(t, 0, code, errOut+out)
	for _, r := range repos {
		require.Equal(t, campaignOldPin, fleettest.ReadFile(t, r.Dir, "main", ".github/workflows/paved.yml"), r.Dir)
		var msgs []string
		for _, c := range fleettest.Log(t, r.Dir, "main") {
			msgs = append(msgs, c.Message)
		}
		require.Contains(t, strings.Join(msgs, "\n"), "This reverts commit", "rollback is a forward commit")
	}
}

// report commits a run-status record for the tip of r's main branch, as the
// CI wrapper does after running paved v0.3.0.
func report(t *testing.T, r *fleettest.Repo, status, step string) {
	commit := fleettest.Tip(t, r.Dir, "main")
	rec := record.RunStatus{SchemaVersion: record.RunStatusSchema, Commit: commit, PavedVersion: "v0.3.0", Status: status, Step: step, FinishedAt: time.Now().UTC()}
	data, err := json.Marshal(rec)
	require.NoError(t, err)
	fleettest.Append(t, r.Dir, "main", "ci: run record", map[string]string{campaign.RunsDir + "/" + commit + ".json": string(data)})
}

// TestFleetCampaignForgeFlag: --forge names a known forge whose token (and,
// for Gitea, API URL) is set, else exit 2 naming what to set.
func TestFleetCampaignForgeFlag(t *testing.T) {
	dir := t.TempDir()
	fleettest.NewRepo(t, dir, "svc", map[string]string{".github/workflows/paved.yml": campaignOldPin})
	state := fleettest.NewRepo(t, dir, "state", map[string]string{"README.md": "state\n"})
	fleetYAML := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(fleetYAML, []byte("apiVersion: paved.dev/v1\nkind: Fleet\nservices:\n  - repository: svc.git\n"), 0o644))
	start := func(forge string) (int, string) {
		code, _, errOut := runPaved(t, "fleet", "campaign", "start", "--paved-version", "v0.3.0", "--fleet", fleetYAML, "--state-repo", state.Dir, "--forge", forge)
		return code, errOut
	}
	t.Setenv("PAVED_GITEA_TOKEN", "")
	code, errOut := start("gogs")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `invalid --forge: unknown forge "gogs": use gitea, github or gitlab`)
	code, errOut = start("gitea")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--forge gitea needs a token in PAVED_GITEA_TOKEN")

	t.Setenv("PAVED_GITEA_TOKEN", "gitea-secret-token-0123")
	t.Setenv("PAVED_GITEA_API_URL", "")
	code, errOut = start("gitea")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "PAVED_GITEA_API_URL")
	require.Contains(t, errOut, "https://gitea.example.com/api/v1")
	require.NotContains(t, errOut, "gitea-secret-token-0123")
}

// TestFleetCampaignCredentialsInURL: a service URL that carries a token is
// refused before the campaign is written (its state would keep the URL),
// with exit 2, the token hidden, and the variable that carries it instead.
func TestFleetCampaignCredentialsInURL(t *testing.T) {
	dir := t.TempDir()
	state := fleettest.NewRepo(t, dir, "state", map[string]string{"README.md": "state\n"})
	before := fleettest.Tip(t, state.Dir, "main")
	fleetYAML := filepath.Join(dir, "fleet.yaml")
	const token = "glpat-s3cretvalue0123"
	require.NoError(t, os.WriteFile(fleetYAML, []byte("apiVersion: paved.dev/v1\nkind: Fleet\nservices:\n  - repository: https://oauth2:"+token+"@git.example.com/acme/svc.git\n    name: svc\n"), 0o644))
	code, out, errOut := runPaved(t, "fleet", "campaign", "start", "--paved-version", "v0.3.0", "--fleet", fleetYAML, "--state-repo", state.Dir)
	require.Equal(t, 2, code, errOut)
	require.Regexp(t, `^paved: .*service svc: repository \S+ carries credentials, .*: remove them from the URL; set PAVED_GIT_TOKEN\n$`, errOut)
	require.NotContains(t, out+errOut, token)
	require.Equal(t, before, fleettest.Tip(t, state.Dir, "main"), "nothing written to the campaign state")
}
