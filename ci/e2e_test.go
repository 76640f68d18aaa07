//go:build wrappers

package ci

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/pins"
	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vulndb"
	"github.com/paved-dev/paved/release/candidate"
)

// The wrapper tests (make wrappers-test, hack/wrappers-test.sh) run paved's
// wrappers with the real runners on the reference apps. The script passes
// the runners and the approved bases:
//
//	PAVED_ACT              act (hack/tools.sh act)
//	PAVED_GITLAB_CI_LOCAL  gitlab-ci-local (hack/tools.sh gitlab-ci-local)
//	PAVED_WRAPPERS_BASES   OCI layouts of python-base and node-base (hack/bases/build.sh)
//
// paved is built once for this machine's platform from the tree under test,
// with the release build flags, and released from there (ci/runner): every
// test installs that release through its wrapper.

const keyPassword = "wrappers-test"

// shared is what every test uses: the release of the tree under test, served.
var shared struct {
	rel    *runner.Release
	server *runner.Server
	keys   *sign.KeyPair
	bin    string
}

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wrapper tests:", err)
		code = 1
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	for _, v := range []string{"PAVED_ACT", "PAVED_GITLAB_CI_LOCAL"} {
		if os.Getenv(v) == "" {
			return 1, fmt.Errorf("%s is not set: run make wrappers-test", v)
		}
	}
	dir, err := os.MkdirTemp("", "paved-wrappers-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	marked, _, err := pins.Read("..")
	if err != nil {
		return 1, err
	}
	version := ""
	for _, mk := range marked {
		if mk.Name == pins.Version {
			version = mk.Value
		}
	}
	shared.bin = filepath.Join(dir, "paved")
	start := time.Now()
	if err := candidate.Build(ctx, "..", version, shared.bin, os.Environ()); err != nil {
		return 1, err
	}
	fmt.Fprintf(os.Stderr, "wrapper tests: built paved %s for %s/%s in %s\n", version, runtime.GOOS, runtime.GOARCH, time.Since(start).Round(time.Second))
	if shared.keys, err = sign.GenerateKeys(filepath.Join(dir, "keys"), []byte(keyPassword)); err != nil {
		return 1, err
	}
	shared.rel, err = runner.NewRelease(ctx, runner.ReleaseOptions{
		Source: "..", Version: version, Binary: shared.bin, Dir: filepath.Join(dir, "release"),
		Key: shared.keys.PrivateKey, PublicKey: shared.keys.PublicKey, Password: func() ([]byte, error) { return []byte(keyPassword), nil },
	})
	if err != nil {
		return 1, err
	}
	shared.server = runner.Serve(shared.rel)
	defer shared.server.Close()
	return m.Run(), nil
}

// world is one test's registry (with the bases and the database mirror),
// GitOps remote and service repository.
type world struct {
	in      *runner.Infra
	service string
	dir     string
	env     []string
	vars    map[string]string
}

// newWorld sets up a run of app: its own registry with the static base (and
// app's approved base), the fixture vulnerability database as a mirror
// (PAVED_DB_REPOSITORY, which paved db update reads), a GitOps remote, and
// the service repository made from the release tree's copy of the app.
func newWorld(t *testing.T, app string) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	in, err := runner.StartInfra(ctx, filepath.Join(dir, "registry"))
	require.NoError(t, err)
	t.Cleanup(in.Close)
	pushStatic(t, in.Registry)
	if b := map[string]string{"python-api": "python-base", "node-web": "node-base"}[app]; b != "" {
		layouts := os.Getenv("PAVED_WRAPPERS_BASES")
		require.NotEmpty(t, layouts, "PAVED_WRAPPERS_BASES is not set: run make wrappers-test")
		require.NoError(t, in.PushLayout(ctx, filepath.Join(layouts, b), "platform/"+b+":1"))
	}
	db := filepath.Join(dir, "db")
	require.NoError(t, vulndb.BuildFixture(db, time.Now()))
	art, err := vulndb.Artifact(db)
	require.NoError(t, err)
	mirror := in.Registry + "/mirror/trivy-db:2"
	ref, err := name.ParseReference(mirror)
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, art))
	require.NoError(t, in.SeedGitOps(ctx, filepath.Join(shared.rel.Tree, "examples", "gitops"), shared.keys.PublicKey, dir))

	w := &world{in: in, dir: dir, service: filepath.Join(dir, "service")}
	require.NoError(t, runner.NewService(ctx, runner.ServiceOptions{
		App: filepath.Join(shared.rel.Tree, "examples", "reference-apps", app), Dir: w.service,
		Registry: in.Registry, Policy: filepath.Join(shared.rel.Tree, "examples", "policy.yaml"),
		Key: shared.keys.PrivateKey, GitOps: in.GitOps, Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Origin: shared.server.URL() + "/acme/" + app + ".git",
	}))
	// The platform team's organization (GitHub) or group (GitLab) variables.
	w.vars = map[string]string{"PAVED_RELEASE_URL": shared.server.ReleaseURL(), "PAVED_DB_REPOSITORY": mirror}
	w.env = append(os.Environ(), "PAVED_GIT_AUTHOR_NAME=paved test", "PAVED_GIT_AUTHOR_EMAIL=test@paved.invalid")
	return w
}

func pushStatic(t *testing.T, registry string) {
	t.Helper()
	img, err := base.Static("/", base.Config{Platform: v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, Created: time.Unix(0, 0)})
	require.NoError(t, err)
	ref, err := name.ParseReference(registry + "/platform/static:1")
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, img))
}

// secrets are the repository secrets a service sets for the wrapper.
func secrets(t *testing.T) map[string]string {
	key, err := os.ReadFile(shared.keys.PrivateKey)
	require.NoError(t, err)
	return map[string]string{"COSIGN_KEY": string(key), "COSIGN_PASSWORD": keyPassword}
}

// github runs the service's GitHub workflow with act.
func (w *world) github(t *testing.T, cache string) *runner.Run {
	t.Helper()
	run, err := runner.GitHub(context.Background(), shared.rel, runner.Service{Dir: w.service, Secrets: secrets(t), Env: w.env,
		Vars: w.vars},
		runner.GitHubOptions{Act: os.Getenv("PAVED_ACT"), Dir: t.TempDir(), CacheDir: cache})
	require.NoError(t, err)
	return run
}

// deployed returns the commit the GitOps remote's main is at.
func (w *world) deployed(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", w.in.GitOps, "log", "-1", "--format=%H %s", "main").Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

func TestGitHubGoAPI(t *testing.T) {
	w := newWorld(t, "go-api")
	run := w.github(t, t.TempDir())
	require.Equal(t, 0, run.ExitCode, run.Output)
	t.Log(run.Output)
	t.Log(w.deployed(t))
}

// gitlab runs the service's GitLab pipeline with gitlab-ci-local. First as
// the service wrote it, listing the jobs, which validates the expanded
// pipeline (the component, fetched from the GitLab stand-in) against
// GitLab's schema; then runs it with the one change the shell executor needs:
// it runs only jobs without an image, so a job definition of the same name,
// merged into the component's as GitLab merges it, clears the image, which
// the schema would refuse (hence --json-schema-validation=false).
func (w *world) gitlab(t *testing.T, args ...string) *runner.Run {
	t.Helper()
	opts := runner.GitLabOptions{GitLabCILocal: os.Getenv("PAVED_GITLAB_CI_LOCAL"), Dir: t.TempDir(), Args: []string{"--list"}}
	svc := runner.Service{Dir: w.service, Secrets: secrets(t), Vars: w.vars, Env: w.env}
	list, err := runner.GitLab(context.Background(), svc, opts)
	require.NoError(t, err)
	require.Equal(t, 0, list.ExitCode, "the service's pipeline, as written, is valid:\n%s", list.Output)

	ci := filepath.Join(w.service, ".gitlab-ci.yml")
	f, err := os.OpenFile(ci, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n# The test's shell executor runs jobs without an image.\npaved-build-scan-deploy:\n  image: null\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	out, err := exec.Command("git", "-C", w.service, "commit", "-qam", "run the jobs without an image (shell executor)").CombinedOutput()
	require.NoError(t, err, "%s", out)
	opts.Dir, opts.Args = t.TempDir(), append([]string{"--json-schema-validation=false"}, args...)
	run, err := runner.GitLab(context.Background(), svc, opts)
	require.NoError(t, err)
	return run
}

func TestGitLabPythonAPI(t *testing.T) {
	w := newWorld(t, "python-api")
	run := w.gitlab(t)
	t.Log(run.Output)
	require.Equal(t, 0, run.ExitCode, run.Output)
	t.Log(w.deployed(t))
	t.Log(shared.server.Requests())
}
