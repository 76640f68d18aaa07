package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

const exportGitOps = `environments:
  - name: dev
  - name: prod
    gates:
      signature_key: keys/prod.pub
      vulnerability_scan: true
      max_scan_age: 7d
services:
  go-api:
    layout: manifests
    path: manifests/go-api/{env}
    image: registry.example.com/services/go-api
`

const exportPolicy = `apiVersion: paved.dev/v1
kind: PlatformPolicy
bases:
  allowed: ["registry.example.com/platform/*"]
`

// exportRepo is a GitOps repository (a git work tree) with prod's public
// key, and the platform policy beside it.
func exportRepo(t *testing.T) (dir, policyFile string) {
	t.Helper()
	dir = writeTree(t, map[string]string{"paved-gitops.yaml": exportGitOps})
	rotateKey(t, dir)
	_, err := git.PlainInit(dir, false)
	require.NoError(t, err)
	commitTree(t, dir)
	policyFile = filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(policyFile, []byte(exportPolicy), 0o644))
	return dir, policyFile
}

// rotateKey writes a new key pair's public key to keys/prod.pub.
func rotateKey(t *testing.T, dir string) {
	t.Helper()
	kp, err := sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	pub, err := os.ReadFile(kp.PublicKey)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "keys"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys", "prod.pub"), pub, 0o644))
}

// commitTree commits every file of the work tree dir.
func commitTree(t *testing.T, dir string) {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.AddWithOptions(&git.AddOptions{All: true}))
	_, err = wt.Commit("admission policies", &git.CommitOptions{Author: &object.Signature{Name: "p", Email: "p@example.com", When: time.Now()}})
	require.NoError(t, err)
}

// checkout is what CI checks: a fresh clone of the committed repository.
func checkout(t *testing.T, dir string) string {
	t.Helper()
	clone := t.TempDir()
	_, err := git.PlainClone(clone, false, &git.CloneOptions{URL: dir})
	require.NoError(t, err)
	return clone
}

// A rotated key and a newly denied base change the export, and --check
// on the committed repository exits 3 until the new export is committed.
func TestPolicyExportCheckUntilCommitted(t *testing.T) {
	for _, format := range []string{"kyverno", "kyverno-clusterpolicy", "policy-controller"} {
		t.Run(format, func(t *testing.T) {
			dir, policyFile := exportRepo(t)
			export := func(dir string, extra ...string) (int, string, string) {
				return runCLI(t, append([]string{"policy", "export", "--dir", dir, "--policy", policyFile, "--format", format}, extra...)...)
			}
			code, stdout, stderr := export(dir)
			require.Equal(t, 0, code, stderr)
			require.Contains(t, stdout, "written: "+filepath.Join(dir, "admission", format, "prod.yaml"))
			commitTree(t, dir)
			code, stdout, stderr = export(checkout(t, dir), "--check")
			require.Equal(t, 0, code, stderr)
			require.Contains(t, stdout, "current: ")

			changes := map[string]func(){
				"key rotated": func() { rotateKey(t, dir) },
				"base denied": func() {
					require.NoError(t, os.WriteFile(policyFile, []byte(exportPolicy+"  denied:\n    - image: registry.example.com/platform/static:1\n      reason: CVE-2026-4242\n      from: 2026-12-01\n"), 0o644))
				},
			}
			for _, name := range []string{"key rotated", "base denied"} {
				before, err := os.ReadFile(filepath.Join(dir, "admission", format, "prod.yaml"))
				require.NoError(t, err)
				changes[name]()
				if name == "key rotated" {
					commitTree(t, dir) // the key is committed, the export not yet
				}
				code, stdout, stderr = export(checkout(t, dir), "--check")
				require.Equal(t, 3, code, "%s: %s", name, stderr)
				require.Contains(t, stdout, "stale (differs): ")
				require.Contains(t, stderr, "the committed admission policies are out of date (prod.yaml differs): export them again and commit the result")

				code, stdout, stderr = export(dir)
				require.Equal(t, 0, code, stderr)
				require.Contains(t, stdout, "updated: "+filepath.Join(dir, "admission", format, "prod.yaml"))
				require.Contains(t, stdout, "unchanged: "+filepath.Join(dir, "admission", format, "dev.yaml"))
				after, err := os.ReadFile(filepath.Join(dir, "admission", format, "prod.yaml"))
				require.NoError(t, err)
				require.NotEqual(t, string(before), string(after), name)
				code, _, _ = export(checkout(t, dir), "--check")
				require.Equal(t, 3, code, "%s: not committed yet", name)
				commitTree(t, dir)
				code, _, stderr = export(checkout(t, dir), "--check")
				require.Equal(t, 0, code, "%s: committed: %s", name, stderr)
			}
		})
	}
}

func TestPolicyExportOutputAndBadInput(t *testing.T) {
	dir, policyFile := exportRepo(t)
	code, stdout, stderr := runCLI(t, "policy", "export", "--dir", dir, "--policy", policyFile, "--format", "kyverno-clusterpolicy",
		"--namespace", "prod=shop,payments", "--selector", "dev=paved.dev/environment=dev", "-o", "json")
	require.Equal(t, 0, code, stderr)
	var out struct {
		Format string
		Dir    string
		Files  []struct{ Path, State string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Equal(t, "kyverno-clusterpolicy", out.Format)
	require.Equal(t, []struct{ Path, State string }{{"dev.yaml", "missing"}, {"prod.yaml", "missing"}}, out.Files, "the state before the export wrote them")
	prod, err := os.ReadFile(filepath.Join(dir, "admission", "kyverno-clusterpolicy", "prod.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(prod), "namespaces:\n                - shop\n                - payments\n")

	// An export of one environment leaves the others' files alone.
	code, stdout, stderr = runCLI(t, "policy", "export", "--dir", dir, "--policy", policyFile, "--format", "kyverno-clusterpolicy", "--env", "prod")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "updated: "+filepath.Join(dir, "admission", "kyverno-clusterpolicy", "prod.yaml")+"\n", stdout, "the default namespace now")
	require.FileExists(t, filepath.Join(dir, "admission", "kyverno-clusterpolicy", "dev.yaml"))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "paved-gitops.yaml"), []byte(strings.Replace(exportGitOps, "keys/prod.pub", "env://PROD_KEY", 1)), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no policy", []string{"--dir", dir, "--format", "kyverno"}, `required flag(s) "policy" not set`},
		{"no format", []string{"--dir", dir, "--policy", policyFile}, `required flag(s) "format" not set`},
		{"unknown format", []string{"--dir", dir, "--policy", policyFile, "--format", "gatekeeper"}, `unknown admission policy format "gatekeeper"`},
		{"key a cluster cannot read", []string{"--dir", dir, "--policy", policyFile, "--format", "kyverno"}, `environment "prod": signature_key "env://PROD_KEY" cannot be exported`},
		{"namespace syntax", []string{"--dir", dir, "--policy", policyFile, "--namespace", "prod", "--format", "kyverno"}, `invalid --namespace "prod": want ENV=NAMESPACE[,NAMESPACE]`},
		{"out of the repository", []string{"--dir", dir, "--policy", policyFile, "--out", "../x", "--format", "kyverno"}, `invalid --out "../x"`},
		{"no GitOps repository", []string{"--dir", t.TempDir(), "--policy", policyFile, "--format", "kyverno"}, "reading paved-gitops.yaml: the GitOps repository has none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"policy", "export"}, tc.args...)...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, tc.want)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "one line")
			_, err := os.Stat(filepath.Join(dir, "admission", "kyverno"))
			require.True(t, os.IsNotExist(err), "nothing written")
		})
	}
}
