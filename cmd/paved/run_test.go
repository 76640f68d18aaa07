package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// runService copies go-api into a fresh git repository next to a policy
// (with extra policy YAML) and returns its directory.
func runService(t *testing.T, host, policyExtra string) string {
	t.Helper()
	root := t.TempDir()
	svc := filepath.Join(root, "svc")
	require.NoError(t, os.MkdirAll(svc, 0o755))
	src := filepath.Join("..", "..", "examples", "reference-apps", "go-api")
	// The module and every file the binary is built from (not its tests).
	files, err := filepath.Glob(filepath.Join(src, "*.go"))
	require.NoError(t, err)
	for _, f := range append(files, filepath.Join(src, "go.mod"), filepath.Join(src, "go.sum"), filepath.Join(src, "greetings.json")) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(svc, filepath.Base(f)), data, 0o644))
	}
	cfg := "apiVersion: paved.dev/v1\nkind: Service\nname: go-api\nbuild:\n  kind: go\n  base: " + host +
		"/platform/static:1\n  extraFiles:\n    - src: greetings.json\nimage:\n  repository: " + host + "/services/go-api\npolicy: ../policy.yaml\n"
	require.NoError(t, os.WriteFile(filepath.Join(svc, "paved.yaml"), []byte(cfg), 0o644))
	policy := "apiVersion: paved.dev/v1\nkind: PlatformPolicy\n" + policyExtra
	require.NoError(t, os.WriteFile(filepath.Join(root, "policy.yaml"), []byte(policy), 0o644))
	return svc
}

func commitDir(t *testing.T, dir string) {
	t.Helper()
	repo, err := git.PlainInit(dir, false)
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.AddGlob("."))
	_, err = wt.Commit("svc", &git.CommitOptions{Author: &object.Signature{Name: "dev", Email: "dev@example.com", When: time.Unix(1780000000, 0)}})
	require.NoError(t, err)
}

func TestRunBuildScanDeploy(t *testing.T) {
	host := testRegistry(t)
	db := t.TempDir()
	require.NoError(t, vulndb.BuildFixture(db, time.Now()))
	keys, err := sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	t.Setenv("COSIGN_PASSWORD", "pw")

	ok := runService(t, host, "")
	commitDir(t, ok)
	vulnerable := runService(t, host, "")
	cmd := exec.Command("go", "mod", "edit", "-require=golang.org/x/text@v0.3.7")
	cmd.Dir = vulnerable
	require.NoError(t, cmd.Run())
	cmd = exec.Command("go", "mod", "download", "golang.org/x/text")
	cmd.Dir = vulnerable
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	commitDir(t, vulnerable)
	old := runService(t, host, "paved:\n  minVersion: v1.2.0\n")
	commitDir(t, old)
	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "paved.yaml"), []byte("apiVersion: paved.dev/v1\nkind: Service\nname: x\nimag: {}\n"), 0o644))

	tests := []struct {
		name    string
		dir     string
		version string
		code    int
		stderr  []string
		steps   map[string]string
	}{
		{name: "ok, deploy skipped", dir: ok, code: 0,
			stderr: []string{" build     started\n", " gate      ok in ", " deploy    skipped: --skip-deploy\n"},
			steps:  map[string]string{"verify": "ok", "deploy": "skipped", "record": "ok"}},
		{name: "failing gate", dir: vulnerable, code: 3,
			stderr: []string{"paved: gate: vulnerability gate failed: 1 finding(s) at CRITICAL,HIGH: CVE-2022-32149 HIGH"},
			steps:  map[string]string{"gate": "failed", "sign": "skipped", "attest": "skipped", "deploy": "skipped"}},
		{name: "paved older than the policy's minimum", dir: old, version: "v1.1.0", code: 3,
			stderr: []string{"paved: preflight: paved v1.1.0 is older than the platform's minimum v1.2.0: move to paved v1.2.0 or later"},
			steps:  map[string]string{"preflight": "failed", "build": "skipped"}},
		{name: "invalid paved.yaml", dir: bad, code: 2, stderr: []string{`unknown key "imag" at the top level (did you mean "image"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.version != "" {
				old := version.Version
				version.Version = tt.version
				t.Cleanup(func() { version.Version = old })
			}
			recFile := filepath.Join(t.TempDir(), "paved-run.json")
			code, stdout, stderr := runCLI(t, "run", "build-scan-deploy", tt.dir, "--db-dir", db, "--key", keys.PrivateKey,
				"--skip-deploy", "--progress", "plain", "--output", "json", "--record", recFile, "--report-dir", t.TempDir())
			require.Equal(t, tt.code, code, stderr)
			for _, s := range tt.stderr {
				require.Contains(t, stderr, s)
			}
			if tt.steps == nil {
				require.NoFileExists(t, recFile)
				return
			}
			var printed, written record.Run
			require.NoError(t, json.Unmarshal([]byte(stdout), &printed))
			data, err := os.ReadFile(recFile)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &written))
			require.Equal(t, printed, written)
			for name, status := range tt.steps {
				require.Equal(t, status, written.Step(name).Status, name)
			}
			errLines := 0
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "paved: ") {
					errLines++
				}
			}
			require.Equal(t, min(tt.code, 1), errLines, "the error is printed once: %s", stderr)
		})
	}
}
