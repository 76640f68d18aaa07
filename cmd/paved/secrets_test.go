package main

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// Canaries of the credential channels besides the registry and key
// passwords (canaryRegistryPassword, canaryKeyPassword).
const (
	canaryGitToken       = "CANARY-git-token-5d1e07" // PAVED_GIT_TOKEN
	canaryURLToken       = "ghp_CANARYurltoken9a41"  // a token as the user name of a git URL
	canaryPolicyPassword = "CANARY-policy-pw-c46b"   // user:password of the policy URL
	canaryQueryToken     = "CANARY-query-tok-e803"   // ?token= of the policy URL
)

var allCanaries = []string{canaryRegistryPassword, canaryKeyPassword, canaryGitToken, canaryURLToken, canaryPolicyPassword, canaryQueryToken}

// gitHTTPServer serves the bare repositories under root over git's smart
// HTTP protocol (git http-backend behind net/http/cgi). It takes a token
// as the basic-auth password (any user name) or as the user name (no
// password), as GitHub does, and returns the server's URL.
func gitHTTPServer(t *testing.T, root string) string {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	require.NoError(t, err, "git is needed to serve smart HTTP in tests")
	h := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if pass != canaryGitToken && (user != canaryURLToken || pass != "") {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// policyServer serves a platform policy to basic auth with the policy
// canary and a ?token= query with the query canary.
func policyServer(t *testing.T, policy string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, _ := r.BasicAuth(); pass != canaryPolicyPassword || r.URL.Query().Get("token") != canaryQueryToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, policy)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestSecretsNeverLeak runs a full pipeline, a GitOps bump and a campaign
// step, each once passing and once failing, with a canary value in every
// credential channel (registry password, key password, git token in the
// environment and in URLs, policy URL password and query token), then
// greps stdout, stderr, every file written (reports, run records), every
// request body the registry received (images, annotations, signatures,
// attestations) and every commit of every git repository for them.
func TestSecretsNeverLeak(t *testing.T) {
	reg, host := newAuthRegistry(t)
	pushWithCanary(t, host+"/platform/static:1")

	work := t.TempDir()
	keys := filepath.Join(work, "keys")
	_, err := sign.GenerateKeys(keys, []byte(canaryKeyPassword))
	require.NoError(t, err)
	db := filepath.Join(work, "db")
	require.NoError(t, vulndb.BuildFixture(db, time.Now()))
	gitops := deployBareRemote(t, map[string]string{
		"paved-gitops.yaml":                 "environments:\n  - name: dev\nservices:\n  api:\n    layout: manifests\n    path: manifests/api/{env}\n    image: " + host + "/services/api\n",
		"manifests/api/dev/deployment.yaml": corpusDeployment(host),
	})
	gitURL := gitHTTPServer(t, filepath.Dir(gitops)) + "/gitops.git"
	pol := policyServer(t, "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\""+host+"/platform/*\"]\n")
	policyURL := "http://u:" + canaryPolicyPassword + "@" + pol + "/p.yaml?token=" + canaryQueryToken
	svc := filepath.Join(work, "svc")
	writeServiceFiles(t, svc, host, keys, policyURL)

	t.Setenv("CI", "true")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv(envRegistryHost, host)
	t.Setenv(envRegistryUsername, "ci")
	t.Setenv(envRegistryPassword, canaryRegistryPassword)
	t.Setenv(envKeyPassword, canaryKeyPassword)
	t.Setenv(envGitToken, canaryGitToken)
	t.Setenv(envGitAuthorName, "paved test")

	var out strings.Builder
	paved := func(want int, args ...string) string {
		t.Helper()
		code, stdout, stderr := runPaved(t, args...)
		out.WriteString(stdout + stderr)
		require.Equal(t, want, code, "paved %s\n%s%s", strings.Join(args, " "), stdout, stderr)
		return stderr
	}
	runs := filepath.Join(work, "runs")
	runArgs := []string{"run", "build-scan-deploy", svc, "--db-dir", db, "--revision", strings.Repeat("ab", 20), "--report-dir", runs, "--progress", "plain", "--gitops-repo", gitURL}
	paved(0, runArgs...)
	require.FileExists(t, filepath.Join(runs, "paved-run.json"))
	// A policy URL whose password is refused: the message names the URL
	// without its credentials.
	writeServiceFiles(t, svc, host, keys, strings.Replace(policyURL, canaryPolicyPassword, canaryPolicyPassword+"-wrong", 1))
	require.Contains(t, paved(2, runArgs...), "http://***@"+pol+"/p.yaml?token=***")
	writeServiceFiles(t, svc, host, keys, policyURL)
	// A refused git token fails in preflight, before anything is pushed.
	t.Setenv(envGitToken, canaryGitToken+"-wrong")
	paved(2, append(runArgs, "--run-id", "refused-token")...)
	t.Setenv(envGitToken, "")

	// A bump with the token as the URL's user name, and one with a refused
	// x-access-token in the URL.
	image := pushWithCanary(t, host+"/services/api:bump").String()
	tokenURL := strings.Replace(gitURL, "http://", "http://"+canaryURLToken+"@", 1)
	paved(0, "deploy", "bump", "--repo", tokenURL, "--service", "api", "--env", "dev", "--image", image)
	wrongURL := strings.Replace(gitURL, "http://", "http://x-access-token:"+canaryGitToken+"-wrong@", 1)
	stderr := paved(2, "deploy", "bump", "--repo", wrongURL, "--service", "api", "--env", "dev", "--image", image)
	require.Contains(t, stderr, strings.TrimPrefix(gitURL, "http://"))

	// A campaign step: start, and advance through HTTPS repositories with
	// PAVED_GIT_TOKEN; then an advance with a refused token.
	fleetDir := campaignFleet(t, work)
	fleetURL := gitHTTPServer(t, fleetDir)
	fleetYAML := filepath.Join(work, "fleet.yaml")
	require.NoError(t, os.WriteFile(fleetYAML, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ngitops:\n  repository: "+fleetURL+"/state.git\nservices:\n  - repository: "+fleetURL+"/repos/svc-a.git\n    name: svc-a\n"), 0o644))
	t.Setenv(envGitToken, canaryGitToken)
	campaign := []string{"--fleet", fleetYAML, "--state-repo", fleetURL + "/state.git"}
	paved(0, append([]string{"fleet", "campaign", "start", "--paved-version", "v0.3.0", "--waves", "100%", "--id", "c1"}, campaign...)...)
	paved(0, append([]string{"fleet", "campaign", "advance", "c1", "--auto-merge"}, campaign...)...)
	require.Equal(t, campaignNewPin, fleettest.ReadFile(t, filepath.Join(fleetDir, "repos", "svc-a.git"), "main", ".github/workflows/paved.yml"))
	t.Setenv(envGitToken, canaryGitToken+"-wrong")
	code, stdout, stderr := runPaved(t, append([]string{"fleet", "campaign", "advance", "c1", "--auto-merge"}, campaign...)...)
	out.WriteString(stdout + stderr)
	require.NotZero(t, code, "a refused token fails the campaign step")

	t.Logf("output:\n%s", out.String())
	evidence := map[string]string{"stdout and stderr": out.String(), "registry request bodies": reg.bodies.String()}
	for _, repo := range []string{gitops, filepath.Join(fleetDir, "state.git"), filepath.Join(fleetDir, "repos", "svc-a.git")} {
		log, err := exec.Command("git", "-C", repo, "log", "--all", "-p", "--format=%H%n%an <%ae>%n%B").CombinedOutput()
		require.NoError(t, err, string(log))
		evidence["git history of "+repo] = string(log)
	}
	require.Contains(t, evidence["git history of "+gitops], "deploy(api)", "the run and the bump committed")
	for what, text := range evidence {
		for _, canary := range allCanaries {
			require.NotContains(t, text, canary, "a secret in the %s", what)
		}
	}
	require.NoError(t, filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, string(filepath.Separator)+"db"+string(filepath.Separator)) {
			return err
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, canary := range allCanaries {
			if filepath.Base(path) == "paved.yaml" && (canary == canaryPolicyPassword || canary == canaryQueryToken) {
				continue // the user wrote it there
			}
			require.NotContains(t, string(data), canary, "a secret in %s", path)
		}
		return nil
	}))
}

// writeServiceFiles writes a Dockerfile service whose policy is policyURL.
func writeServiceFiles(t *testing.T, dir, host, keys, policyURL string) {
	t.Helper()
	files := map[string]string{
		"Dockerfile": "FROM " + host + "/platform/static:1\nCOPY a /a\n",
		"a":          "a\n",
		"paved.yaml": "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: dockerfile\nimage:\n  repository: " + host + "/services/api\npolicy: " + policyURL + "\nsigning:\n  key: " + keys + "/cosign.key\ngitops:\n  environments: [dev]\n",
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for n, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644))
	}
}

// campaignFleet creates the campaign's state repository and one service
// repository pinned to v0.2.0 under a new directory.
func campaignFleet(t *testing.T, work string) string {
	dir := filepath.Join(work, "fleet-repos")
	fleettest.NewRepo(t, dir, "state", map[string]string{"README.md": "campaign state\n"})
	fleettest.NewRepo(t, filepath.Join(dir, "repos"), "svc-a", map[string]string{".github/workflows/paved.yml": campaignOldPin})
	return dir
}
