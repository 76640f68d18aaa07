//go:build wrappers && loop

package ci

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/internal/giteatest"
)

// loopPrevious is the paved version the generated services pin before the
// campaign: an alias of the release of the tree under test (Release.Alias),
// as the release harness makes the version a service pins.
const loopPrevious = "v0.0.1"

// loopFleet is the end-to-end loop's world: a real Gitea with the
// organisation acme, one registry and database mirror, the GitOps remote
// every service deploys to, the campaign state repository, the fleet file,
// and a web server for the CI logs the statuses link to.
type loopFleet struct {
	srv      *giteatest.Server
	in       *runner.Infra
	mirror   string
	fleet    string
	state    string
	logs     string
	logsURL  string
	services []string
	cache    string
}

// newLoopFleet generates n services (svc-1…) from go-api, each with its
// own name, image and GitOps entry, its workflow pinned at loopPrevious and
// run on pushes to main and on pull requests; vulnerable names the ones
// whose go.mod requires golang.org/x/text v0.3.7 (CVE-2022-32149, HIGH, in
// the fixture database).
func newLoopFleet(t *testing.T, n int, vulnerable ...string) *loopFleet {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	l := &loopFleet{srv: giteatest.Start(t), logs: filepath.Join(dir, "logs"), cache: filepath.Join(dir, "gha-cache")}
	l.in, l.mirror = newInfra(t, dir, "go-api")
	require.NoError(t, shared.rel.Alias(ctx, loopPrevious))
	for i := 1; i <= n; i++ {
		l.services = append(l.services, fmt.Sprintf("svc-%d", i))
	}
	require.NoError(t, l.in.SeedGitOps(ctx, loopGitOps(t, dir, l.services), shared.keys.PublicKey, dir))
	l.srv.CreateOrg(t, "acme")
	for _, name := range l.services {
		l.pushService(t, dir, name, slices.Contains(vulnerable, name))
	}
	require.NoError(t, os.MkdirAll(l.logs, 0o755))
	logs := httptest.NewServer(http.FileServer(http.Dir(l.logs)))
	t.Cleanup(logs.Close)
	l.logsURL = logs.URL
	l.state = fleettest.NewRepo(t, dir, "state", map[string]string{"README.md": "campaign state\n"}).Dir
	l.fleet = filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(l.fleet, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ndiscover:\n  - forge: gitea\n    organisation: acme\ngitops:\n  repository: "+l.in.GitOps+"\n"), 0o644))
	return l
}

// loopGitOps is examples/gitops with go-api's kustomize app copied for
// every service.
func loopGitOps(t *testing.T, dir string, services []string) string {
	t.Helper()
	src, fixture := filepath.Join(shared.rel.Tree, "examples", "gitops"), filepath.Join(dir, "gitops-fixture")
	require.NoError(t, os.CopyFS(fixture, os.DirFS(src)))
	cfg := filepath.Join(fixture, "paved-gitops.yaml")
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	entries := string(data)
	for _, name := range services {
		app := filepath.Join(fixture, "apps", name)
		require.NoError(t, os.CopyFS(app, os.DirFS(filepath.Join(src, "apps", "go-api"))))
		replaceInTree(t, app, "go-api", name)
		entries += fmt.Sprintf("  %s:\n    layout: kustomize\n    path: apps/%s/{env}\n    image: %s/services/%s\n", name, name, runner.FixtureHost, name)
	}
	require.NoError(t, os.WriteFile(cfg, []byte(entries), 0o644))
	return fixture
}

// pushService makes service name from the release tree's go-api and pushes
// it to a new repository acme/NAME on the Gitea.
func (l *loopFleet) pushService(t *testing.T, dir, name string, vulnerable bool) {
	t.Helper()
	app := filepath.Join(dir, "apps", name)
	require.NoError(t, os.CopyFS(app, os.DirFS(filepath.Join(shared.rel.Tree, "examples", "reference-apps", "go-api"))))
	replaceInFile(t, filepath.Join(app, "paved.yaml"), "go-api", name)
	wf := filepath.Join(app, ".github", "workflows", "paved.yml")
	replaceInFile(t, wf, "build-scan-deploy.yml@"+shared.rel.Version, "build-scan-deploy.yml@"+loopPrevious)
	replaceInFile(t, wf, "  push:\n    branches: [main]\n", "  push:\n    branches: [main]\n  pull_request:\n    branches: [main]\n")
	if vulnerable {
		for _, args := range [][]string{{"mod", "edit", "-require=golang.org/x/text@v0.3.7"}, {"mod", "tidy"}} {
			cmd := exec.Command("go", args...)
			cmd.Dir = app
			// go mod tidy fetches v0.3.7 from the module proxy on a fresh machine (GOFLAGS=-mod=mod).
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOEXPERIMENT=")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
		}
	}
	svc := filepath.Join(dir, "services", name)
	require.NoError(t, runner.NewService(context.Background(), runner.ServiceOptions{
		App: app, Dir: svc, Registry: l.in.Registry, Policy: filepath.Join(shared.rel.Tree, "examples", "policy.yaml"),
		Key: shared.keys.PrivateKey, GitOps: l.in.GitOps, Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}))
	l.srv.Do(t, "POST", "/orgs/acme/repos", map[string]any{"name": name, "default_branch": "main"}, nil)
	gitRun(t, svc, "push", "-q", l.authURL(name), "main")
	// Gitea processes a push in the background: until then the repository
	// is empty, and discovery skips it.
	var repo struct{ Empty bool }
	for try := 0; ; try++ {
		l.srv.Do(t, "GET", "/repos/acme/"+name, nil, &repo)
		if !repo.Empty {
			return
		}
		require.Less(t, try, 100, "acme/%s is still empty after the push", name)
		time.Sleep(100 * time.Millisecond)
	}
}

// authURL is the clone URL of acme/name with the admin's token, for the
// test's own git commands (never printed: git redacts it, and the test
// prints no URL).
func (l *loopFleet) authURL(name string) string {
	return strings.Replace(l.srv.CloneURL("acme", name), "://", "://"+giteatest.Admin+":"+l.srv.Token+"@", 1)
}

// paved runs the campaign CLI (the paved binary built once for the
// release) against the Gitea, and returns its exit code and output; the
// token never shows.
func (l *loopFleet) paved(t *testing.T, args ...string) (int, string) {
	t.Helper()
	args = append(append([]string{"fleet", "campaign"}, args...), "--fleet", l.fleet, "--state-repo", l.state, "--forge", "gitea")
	cmd := exec.Command(shared.bin, args...)
	cmd.Env = append(os.Environ(), "PAVED_GITEA_TOKEN="+l.srv.Token, "PAVED_GITEA_API_URL="+l.srv.API,
		"PAVED_GIT_TOKEN="+l.srv.Token, "PAVED_GIT_AUTHOR_NAME=paved test", "PAVED_GIT_AUTHOR_EMAIL=test@paved.invalid")
	out, err := cmd.CombinedOutput()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	require.NotContains(t, string(out), l.srv.Token, "paved %s printed the token", strings.Join(args, " "))
	return code, string(out)
}

// tip is the commit main of acme/name is at, as git sees it (Gitea's
// branch API lags a push: it syncs branches in the background).
func (l *loopFleet) tip(t *testing.T, name string) string {
	t.Helper()
	tip, _, _ := strings.Cut(gitRun(t, ".", "ls-remote", l.authURL(name), "refs/heads/main"), "\t")
	require.Len(t, tip, 40, "main of acme/%s", name)
	return tip
}

// clone clones branch of acme/name into a new directory.
func (l *loopFleet) clone(t *testing.T, name, branch string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	gitRun(t, ".", "clone", "-q", "-b", branch, l.authURL(name), dir)
	return dir
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=paved test", "-c", "user.email=test@paved.invalid"}, args...)...).CombinedOutput()
	require.NoError(t, err, "git %s: %s", args[0], out)
	return strings.TrimSpace(string(out))
}

func replaceInFile(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(data), old, file)
	require.NoError(t, os.WriteFile(file, []byte(strings.ReplaceAll(string(data), old, new)), 0o644))
}

func replaceInTree(t *testing.T, dir, old, new string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(data), old) {
			err = os.WriteFile(p, []byte(strings.ReplaceAll(string(data), old, new)), 0o644)
		}
		return err
	}))
}
