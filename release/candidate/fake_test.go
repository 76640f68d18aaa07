package candidate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/vulndb"
)

// fakePaved stands in for an app's CI wrapper running a paved binary: like
// paved run build-scan-deploy it pushes an image to the run's registry,
// writes an SBOM, bumps the GitOps repository and writes a run record, so
// the harness collects real outputs from a real registry and a real git
// remote. (The release-tagged tests run the real wrappers.)
type fakePaved struct {
	user     string // the image's config user
	packages []string
	flakes   int    // attempts that exit 4 first
	failAt   string // a step that fails with exit 3
	// exitAfter is the exit code after an ok run record (0: none).
	exitAfter int
	// lostImage records an image digest the registry does not hold.
	lostImage bool
	env       []string // the last run's environment
	runs      []AppRun
	calls     int
}

// fakeRunner dispatches on the binary's name.
type fakeRunner map[string]*fakePaved

func (r fakeRunner) RunApp(ctx context.Context, run AppRun) (RunResult, error) {
	p, ok := r[filepath.Base(run.Paved.Binary)]
	if !ok {
		return RunResult{}, fmt.Errorf("no fake for %q", run.Paved.Binary)
	}
	res, err := p.run(ctx, run)
	if err == nil && res.ExitCode != 2 {
		res.RecordFile = filepath.Join(run.Work, "report", "paved-run.json")
	}
	return res, err
}

// Result is what the fake's run said.
type Result = RunResult

func (p *fakePaved) run(ctx context.Context, run AppRun) (Result, error) {
	p.calls++
	p.env = run.Env
	p.runs = append(p.runs, run)
	svc := run.App.Name
	reg, reportDir, gitops := run.Registry, filepath.Join(run.Work, "report"), run.GitOps
	steps := []map[string]any{{"name": "preflight", "status": "ok", "durationSeconds": 0.1}}
	rec := map[string]any{"schemaVersion": recordSchemaForTest, "pavedVersion": filepath.Base(run.Paved.Binary), "service": svc, "status": "ok"}
	if p.calls <= p.flakes {
		rec["status"] = "failed"
		rec["failure"] = map[string]any{"step": "push", "kind": "transient", "exitCode": 4, "message": "registry unavailable"}
		rec["steps"] = append(steps, map[string]any{"name": "push", "status": "failed", "error": "registry unavailable"})
		return Result{ExitCode: 4}, writeJSONFile(filepath.Join(reportDir, "paved-run.json"), rec)
	}
	ref, err := p.push(ctx, reg, svc, filepath.Base(run.Paved.Binary))
	if err != nil {
		return Result{}, err
	}
	rec["image"] = ref
	if p.lostImage {
		rec["image"] = reg + "/services/" + svc + "@sha256:" + strings.Repeat("0", 64)
	}
	sbom := filepath.Join(reportDir, "sbom.cdx.json")
	if err := writeJSONFile(sbom, cdx(p.packages)); err != nil {
		return Result{}, err
	}
	steps = append(steps,
		map[string]any{"name": "build", "status": "ok", "durationSeconds": 1.5},
		map[string]any{"name": "sbom", "status": "ok", "durationSeconds": 0.5, "outputs": map[string]any{"files": []string{sbom}}},
		map[string]any{"name": "scan", "status": "ok", "outputs": map[string]any{"findings": map[string]int{"HIGH": 0}}})
	if p.failAt == "gate" {
		rec["status"] = "failed"
		rec["failure"] = map[string]any{"step": "gate", "kind": "policy", "exitCode": 3, "message": "1 HIGH finding"}
		rec["steps"] = append(steps, map[string]any{"name": "gate", "status": "failed", "error": "1 HIGH finding",
			"outputs": map[string]any{"gatePassed": false, "failing": []string{"CVE-2022-32149"}}})
		return Result{ExitCode: 3}, writeJSONFile(filepath.Join(reportDir, "paved-run.json"), rec)
	}
	steps = append(steps,
		map[string]any{"name": "gate", "status": "ok", "outputs": map[string]any{"gatePassed": true}},
		map[string]any{"name": "attest", "status": "ok", "outputs": map[string]any{"attestations": []string{"https://slsa.dev/provenance/v1"}}})
	if err := bump(ctx, gitops, svc, ref); err != nil {
		return Result{}, err
	}
	rec["steps"] = append(steps, map[string]any{"name": "deploy", "status": "ok"})
	return Result{ExitCode: p.exitAfter, Output: "paved: done"}, writeJSONFile(filepath.Join(reportDir, "paved-run.json"), rec)
}

const recordSchemaForTest = "paved.dev/run-record/v1"

// push writes an image with no layers whose config names the user and
// whose annotations name the version, as paved does: the digest differs
// between versions even when the config does not.
func (p *fakePaved) push(ctx context.Context, reg, svc, version string) (string, error) {
	img, err := mutate.Config(empty.Image, v1.Config{User: p.user, Env: []string{"PYTHON_API_URL=http://" + reg + "/x"}, Cmd: []string{"/app"}})
	if err != nil {
		return "", err
	}
	img = mutate.Annotations(img, map[string]string{"dev.paved.pipeline.version": version, "org.opencontainers.image.base.name": reg + "/platform/static:1"}).(v1.Image)
	tag, err := name.NewTag(reg+"/services/"+svc+":latest", name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return tag.Context().Digest(d.String()).String(), nil
}

func cdx(pkgs []string) map[string]any {
	var comps []map[string]any
	for _, p := range pkgs {
		n, v, _ := strings.Cut(p, "@")
		comps = append(comps, map[string]any{"type": "library", "name": n, "version": v, "purl": "pkg:golang/" + n + "@" + v})
	}
	return map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps}
}

// bump commits the image to the GitOps remote, as paved's deploy step does.
func bump(ctx context.Context, remoteDir, svc, ref string) error {
	work, err := os.MkdirTemp("", "bump-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	file := filepath.Join(work, "apps", svc, "dev", "image.yaml")
	for _, args := range [][]string{{"clone", "-q", remoteDir, work}} {
		if _, err := git(ctx, ".", args...); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte("image: "+ref+"\ntrace_id: 0123\n"), 0o644); err != nil {
		return err
	}
	for _, args := range [][]string{{"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "bump"}, {"push", "-q", "origin", "main"}} {
		if _, err := git(ctx, work, args...); err != nil {
			return err
		}
	}
	return nil
}

func writeJSONFile(file string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

// fixtureRepo makes a paved repository with go-api and the fixtures at a
// fixed commit (fixed dates, so the commit id is stable) and returns it
// with that commit.
func fixtureRepo(t *testing.T) (string, string) {
	repo := t.TempDir()
	files := map[string]string{
		"examples/reference-apps/go-api/paved.yaml":          "name: go-api\n",
		"examples/policy.yaml":                               "kind: PlatformPolicy\n",
		"examples/gitops/apps/go-api/dev/kustomization.yaml": "images:\n  - name: paved.local/services/go-api\n",
	}
	for p, content := range files {
		f := filepath.Join(repo, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(f), 0o755))
		require.NoError(t, os.WriteFile(f, []byte(content), 0o644))
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "apps"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2026-11-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-11-01T00:00:00Z")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	}
	head, err := git(context.Background(), repo, "rev-parse", "HEAD")
	require.NoError(t, err)
	return repo, head
}

// baseLayout writes an OCI layout holding one small base image.
func baseLayout(t *testing.T) string {
	dir := t.TempDir()
	img, err := mutate.Config(empty.Image, v1.Config{User: "65532"})
	require.NoError(t, err)
	p, err := layout.Write(filepath.Join(dir, "static"), empty.Index)
	require.NoError(t, err)
	require.NoError(t, p.AppendImage(img))
	return dir
}

// fixtureDB builds the fixture vulnerability database once per test, which
// the harness serves to the wrappers as a mirror.
func fixtureDB(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, vulndb.BuildFixture(dir, time.Now()))
	return dir
}
