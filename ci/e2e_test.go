//go:build wrappers

package ci

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/pins"
	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/vulndb"
	"github.com/paved-dev/paved/release/candidate"
	"github.com/paved-dev/paved/release/dist"
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

// newWorld sets up a run of app: its own registry and database mirror
// (newInfra), a GitOps remote, and the service repository made from the
// release tree's copy of the app.
func newWorld(t *testing.T, app string) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	in, mirror := newInfra(t, dir, app)
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

// newInfra starts a run's registry under dir with the static base (and
// app's approved base) and the fixture vulnerability database as a mirror
// (PAVED_DB_REPOSITORY, which paved db update reads); it returns the
// registry and the mirror's reference.
func newInfra(t *testing.T, dir, app string) (*runner.Infra, string) {
	t.Helper()
	ctx := context.Background()
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
	return in, mirror
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
	return w.githubWith(t, shared.rel, cache)
}

func (w *world) githubWith(t *testing.T, rel *runner.Release, cache string) *runner.Run {
	t.Helper()
	run, err := runner.GitHub(context.Background(), rel, runner.Service{Dir: w.service, Secrets: secrets(t), Env: w.env,
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

// gitlab runs the service's GitLab pipeline with gitlab-ci-local's shell
// executor: first listed as written (validated against GitLab's schema),
// then run with the component's job image cleared (ci/runner).
func (w *world) gitlab(t *testing.T, args ...string) *runner.Run {
	t.Helper()
	svc := runner.Service{Dir: w.service, Secrets: secrets(t), Vars: w.vars, Env: w.env}
	run, err := runner.GitLab(context.Background(), svc, runner.GitLabOptions{
		GitLabCILocal: os.Getenv("PAVED_GITLAB_CI_LOCAL"), Dir: t.TempDir(), Args: args, ShellExecutor: true})
	require.NoError(t, err)
	return run
}

// TestGitHubGoAPI: go-api's workflow calls the reusable workflow, which
// calls the composite action: it installs the release of the tree under
// test, gets the database from the mirror, and deploys. A second run of the
// same commit installs paved and the database from the cache.
func TestGitHubGoAPI(t *testing.T) {
	w := newWorld(t, "go-api")
	cache := t.TempDir()
	run := w.github(t, cache)
	rec := w.requireDeployed(t, "go-api", run, githubRecord(t, run))
	requireSARIF(t, run)
	requireRecorded(t, run, "checkout", map[string]string{"fetch-depth": "0", "persist-credentials": "false"})
	requireRecorded(t, run, "setup-go", map[string]string{"go-version": "1.26.0", "cache": "false"})
	requireRecorded(t, run, "cache-save", map[string]string{"key": "paved-" + shared.rel.Version + "-Linux-X64"})
	requireRecorded(t, run, "cache-save", map[string]string{"key": "paved-db-" + time.Now().UTC().Format(time.DateOnly)})
	summary, err := os.ReadFile(filepath.Join(filepath.Dir(githubRecordFile(t, run)), "summary.md"))
	require.NoError(t, err)
	require.Contains(t, string(summary), "### ✅ paved build-scan-deploy: go-api → dev")
	require.Contains(t, string(summary), "**Image:** `"+rec.Image+"`")
	_, digest, _ := strings.Cut(rec.Image, "@")
	require.Contains(t, run.Output, "::set-output:: digest="+digest, "the digest is a step output")
	require.Contains(t, run.Output, "downloaded from "+shared.server.ReleaseURL())
	require.Contains(t, run.Output, "Updated vulnerability database")

	again := w.github(t, cache)
	require.Equal(t, 0, again.ExitCode, again.Output)
	require.Contains(t, again.Output, "paved install: "+shared.rel.Version+" from the cache")
	require.NotContains(t, again.Output, "Updated vulnerability database", "the day's database comes from the cache")
	for _, r := range again.Records {
		require.NotEqual(t, "cache-save", r.Action, "nothing new to cache: %v", r.Inputs)
	}
	// A new run is a new trace, so a new digest (README: the trace id is in
	// the image); the pipeline passes again.
	require.Equal(t, record.StatusOK, githubRecord(t, again).Status)
	require.NotEmpty(t, rec.TraceID)
}

// TestGitHubNodeWeb: node-web's workflow calls the reusable workflow with
// prepare: ./install.sh (npm ci) before the build.
func TestGitHubNodeWeb(t *testing.T) {
	w := newWorld(t, "node-web")
	run := w.github(t, t.TempDir())
	w.requireDeployed(t, "node-web", run, githubRecord(t, run))
	requireSARIF(t, run)
}

// TestGitLabPythonAPI: python-api's .gitlab-ci.yml includes the component
// from the GitLab stand-in with its inputs; on the default branch the job
// deploys and leaves GitLab's reports: container scanning, the CycloneDX
// SBOM and the dotenv report with the digest.
func TestGitLabPythonAPI(t *testing.T) {
	w := newWorld(t, "python-api")
	run := w.gitlab(t)
	out := filepath.Join(w.service, "paved-out", "paved-build-scan-deploy")
	rec := w.requireDeployed(t, "python-api", run, readRecord(t, filepath.Join(out, record.File)))
	reqs := strings.Join(shared.server.Requests(), "\n")
	require.Contains(t, reqs, "GET /paved-dev/paved/-/raw/"+shared.rel.Version+"/templates/build-scan-deploy.yml")
	require.Contains(t, reqs, "GET /releases/"+shared.rel.Version+"/SHA256SUMS.sig")

	env, err := os.ReadFile(filepath.Join(out, "paved.env"))
	require.NoError(t, err)
	_, digest, _ := strings.Cut(rec.Image, "@")
	require.Contains(t, string(env), "PAVED_DIGEST="+digest+"\n")
	var cs struct {
		Scan struct {
			Type string `json:"type"`
		} `json:"scan"`
		Vulnerabilities []struct {
			Location struct {
				Image string `json:"image"`
			} `json:"location"`
		} `json:"vulnerabilities"`
	}
	data, err := os.ReadFile(filepath.Join(out, "gl-container-scanning-report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cs))
	require.Equal(t, "container_scanning", cs.Scan.Type)
	require.NotEmpty(t, cs.Vulnerabilities, "python-base's findings (not fixed yet, so they do not fail the gate)")
	require.Equal(t, rec.Image, cs.Vulnerabilities[0].Location.Image)
	require.FileExists(t, filepath.Join(out, template.SBOMFile), "the cyclonedx report")
	require.Contains(t, run.Output, "paved build-scan-deploy: python-api → dev", "the summary is in the job log")
}

// TestGitLabMergeRequest: in a merge-request pipeline the component's -mr
// job builds, scans and signs, and does not deploy.
func TestGitLabMergeRequest(t *testing.T) {
	w := newWorld(t, "python-api")
	before := w.deployed(t)
	// As in GitLab's merge-request pipelines: no CI_COMMIT_BRANCH.
	run := w.gitlab(t, "--variable", "CI_PIPELINE_SOURCE=merge_request_event", "--unset-variable", "CI_COMMIT_BRANCH")
	require.Equal(t, 0, run.ExitCode, run.Output)
	require.Contains(t, run.Output, "paved-build-scan-deploy-mr")
	require.NotContains(t, run.Output, "PASS  paved-build-scan-deploy\n", "the deploying job does not run")
	rec := readRecord(t, filepath.Join(w.service, "paved-out", "paved-build-scan-deploy", record.File))
	require.Equal(t, record.StatusOK, rec.Status)
	require.Equal(t, record.StatusSkipped, rec.Step(template.StepDeploy).Status)
	require.Equal(t, before, w.deployed(t), "a merge request deploys nothing")
}

// TestGitHubGateFailure: a gate that fails stops the job before anything
// is signed or deployed, annotates each failing finding with its fixed
// version, and the summary in the artifact says why.
func TestGitHubGateFailure(t *testing.T) {
	w := newWorld(t, "python-api")
	cfg := filepath.Join(w.service, "paved.yaml")
	data, err := os.ReadFile(cfg)
	require.NoError(t, err)
	strict := strings.Replace(string(data), "ignoreUnfixed: true", "ignoreUnfixed: false", 1)
	require.NotEqual(t, string(data), strict)
	require.NoError(t, os.WriteFile(cfg, []byte(strict), 0o644))
	out, err := exec.Command("git", "-C", w.service, "-c", "user.name=paved test", "-c", "user.email=test@paved.invalid", "commit", "-qam", "gate on unfixed findings too").CombinedOutput()
	require.NoError(t, err, "%s", out)
	before := w.deployed(t)
	run := w.github(t, t.TempDir())
	require.NotEqual(t, 0, run.ExitCode)
	require.Regexp(t, `::error title=paved gate%3A CVE-\d+-\d+::CRITICAL`, run.Output)
	rec := githubRecord(t, run)
	require.Equal(t, template.StepGate, rec.Failure.Step)
	summary, err := os.ReadFile(filepath.Join(filepath.Dir(githubRecordFile(t, run)), "summary.md"))
	require.NoError(t, err)
	require.Contains(t, string(summary), "**gate failed**")
	require.Equal(t, before, w.deployed(t), "nothing is deployed after a failed gate")
}

// TestInstallRefusesATamperedRelease: one byte changed in the archive the
// release location serves, and the install fails naming the checksum;
// nothing is cached, built or deployed.
func TestInstallRefusesATamperedRelease(t *testing.T) {
	rel, server := variant(t, nil)
	archive := filepath.Join(rel.Files, rel.Version, dist.ArchiveName("paved", rel.Version, runtime.GOOS, runtime.GOARCH))
	flipByte(t, archive)
	w := newWorld(t, "go-api")
	w.vars["PAVED_RELEASE_URL"] = server.ReleaseURL()
	before := w.deployed(t)
	run := w.githubWith(t, rel, t.TempDir())
	require.NotEqual(t, 0, run.ExitCode)
	require.Contains(t, run.Output, "checksum mismatch for "+filepath.Base(archive))
	require.Contains(t, run.Output, "nothing was installed")
	require.Equal(t, before, w.deployed(t), "nothing is deployed")
	for _, r := range run.Records {
		require.NotEqual(t, "cache-save", r.Action, "a refused download is not cached: %v", r.Inputs)
	}
}

// TestWrapperWithAnUnknownFlagFails: a composite action that passes paved
// a flag it does not have fails the job with paved's exit 2, naming it.
func TestWrapperWithAnUnknownFlagFails(t *testing.T) {
	rel, server := variant(t, func(tree string) {
		action := filepath.Join(tree, "ci", "github", "action.yml")
		data, err := os.ReadFile(action)
		require.NoError(t, err)
		broken := strings.Replace(string(data), "args=(run build-scan-deploy ", "args=(run build-scan-deploy --no-such-flag ", 1)
		require.NotEqual(t, string(data), broken)
		require.NoError(t, os.WriteFile(action, []byte(broken), 0o644))
	})
	w := newWorld(t, "go-api")
	w.vars["PAVED_RELEASE_URL"] = server.ReleaseURL()
	run := w.githubWith(t, rel, t.TempDir())
	require.NotEqual(t, 0, run.ExitCode)
	require.Contains(t, run.Output, "paved: unknown flag: --no-such-flag")
	require.Contains(t, run.Output, "exit status 2")
}

// variant releases the tree under test again, changed by edit (nil: as it
// is), into a directory of its own, and serves it.
func variant(t *testing.T, edit func(tree string)) (*runner.Release, *runner.Server) {
	t.Helper()
	ctx := context.Background()
	src := ".."
	if edit != nil {
		src = t.TempDir()
		require.NoError(t, os.CopyFS(src, os.DirFS(shared.rel.Tree)))
		require.NoError(t, os.RemoveAll(filepath.Join(src, ".git")))
		edit(src)
	}
	rel, err := runner.NewRelease(ctx, runner.ReleaseOptions{
		Source: src, Version: shared.rel.Version, Dir: t.TempDir(), Reuse: shared.rel, PublicKey: shared.keys.PublicKey,
	})
	require.NoError(t, err)
	server := runner.Serve(rel)
	t.Cleanup(server.Close)
	return rel, server
}

// requireDeployed: the job passed, its run record says ok, and the GitOps
// remote's main pins the recorded image in dev, in a commit of this run.
func (w *world) requireDeployed(t *testing.T, app string, run *runner.Run, rec *record.Run) *record.Run {
	t.Helper()
	require.Equal(t, 0, run.ExitCode, run.Output)
	require.Equal(t, record.StatusOK, rec.Status, "%+v", rec.Failure)
	require.Equal(t, app, rec.Service)
	require.Equal(t, shared.rel.Version, rec.PavedVersion, "the run is the release's paved")
	require.True(t, strings.HasPrefix(rec.Image, w.in.Registry+"/services/"+app+"@sha256:"), rec.Image)
	require.Contains(t, w.deployed(t), "deploy("+app+"): bump dev")
	versions, err := exec.Command("git", "-C", w.in.GitOps, "show", "main:versions.yaml").Output()
	require.NoError(t, err)
	_, digest, _ := strings.Cut(rec.Image, "@")
	require.Contains(t, string(versions), digest, "versions.yaml records the run's digest")
	return rec
}

// githubRecord is the run record in the artifact the workflow uploaded.
func githubRecord(t *testing.T, run *runner.Run) *record.Run {
	t.Helper()
	return readRecord(t, githubRecordFile(t, run))
}

func githubRecordFile(t *testing.T, run *runner.Run) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(run.Dir, "artifacts", "paved-run-*", record.File))
	require.NoError(t, err)
	require.Len(t, files, 1, "one uploaded run record:\n%s", run.Output)
	return files[0]
}

func readRecord(t *testing.T, file string) *record.Run {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var rec record.Run
	require.NoError(t, json.Unmarshal(data, &rec))
	require.Equal(t, record.Schema, rec.SchemaVersion)
	return &rec
}

// requireSARIF: what would be uploaded to code scanning validates against
// the SARIF 2.1.0 schema.
func requireSARIF(t *testing.T, run *runner.Run) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(run.Dir, "sarif", "*.sarif"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	doc, err := os.ReadFile(files[0])
	require.NoError(t, err)
	schemaDoc, err := os.ReadFile(filepath.Join("..", "pipelines", "scan", "testdata", "sarif-schema-2.1.0.json"))
	require.NoError(t, err)
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaDoc))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("sarif-schema-2.1.0.json", schema))
	s, err := c.Compile("sarif-schema-2.1.0.json")
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	require.NoError(t, s.Validate(v))
	requireRecorded(t, run, "upload-sarif", map[string]string{"category": "paved/."})
}

// requireRecorded: a stand-in was called with (at least) these inputs.
func requireRecorded(t *testing.T, run *runner.Run, action string, inputs map[string]string) {
	t.Helper()
	for _, r := range run.Records {
		if r.Action != action {
			continue
		}
		match := true
		for k, v := range inputs {
			match = match && r.Inputs[k] == v
		}
		if match {
			return
		}
	}
	t.Fatalf("no %s stand-in call with %v in %+v", action, inputs, run.Records)
}
