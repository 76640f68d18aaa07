package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

// deployGateConfig gates staging on a signature and a passed vulnerability
// scan, both verified with the key committed at keys/cosign.pub.
const deployGateConfig = `environments:
  - name: dev
  - name: staging
    gates:
      signature_key: keys/cosign.pub
      vulnerability_scan: true
      max_scan_age: 7d
services:
`

const deployGateManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  template:
    spec:
      containers:
        - name: %[1]s
          image: %[2]s:v0
`

// TestDeployPromoteGates promotes images through the real gate verifier
// (pipelines/sign against an in-process registry): only the signed image
// whose vulnerability attestation passed enters staging; the others are
// refused with exit 3 and push nothing.
func TestDeployPromoteGates(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv(envRegistryUsername, "")
	t.Setenv(envRegistryPassword, "")
	for _, k := range []string{envGitToken, envGitSSHKey} {
		t.Setenv(k, "")
	}

	keys, err := sign.GenerateKeys(t.TempDir(), []byte("gate-test"))
	require.NoError(t, err)
	pub, err := os.ReadFile(keys.PublicKey)
	require.NoError(t, err)
	other, err := sign.GenerateKeys(t.TempDir(), []byte("other"))
	require.NoError(t, err)
	signWith := func(kp *sign.KeyPair, pw string) []sign.Option {
		return []sign.Option{sign.WithKey(kp.PrivateKey), sign.WithKeychain(authn.DefaultKeychain),
			sign.WithPassword(func() ([]byte, error) { return []byte(pw), nil })}
	}
	scanned := func(passed bool, finished time.Time) sign.Predicate {
		report := fmt.Sprintf(`{"schemaVersion":%q,"gate":{"passed":%t}}`, sign.ScanReportSchema, passed)
		pred, err := sign.VulnPredicate(sign.Scan{Report: []byte(report), ScannerURI: "https://trivy.dev", FinishedOn: finished})
		require.NoError(t, err)
		return sign.Predicate{Type: sign.PredicateVuln, Body: pred}
	}

	tests := []struct {
		name   string
		signer *sign.KeyPair
		pw     string
		scan   *sign.Predicate
		code   int
		want   string
	}{
		{"signed and scanned", keys, "gate-test", ptr(scanned(true, time.Now())), 0, "pushed"},
		{"unsigned", nil, "", nil, 3, "no signature verifies with key \"keys/cosign.pub\""},
		{"signed by another key", other, "other", ptr(scanned(true, time.Now())), 3, "no signature verifies with key \"keys/cosign.pub\""},
		{"no scan attestation", keys, "gate-test", nil, 3, "no attestation verifies with key \"keys/cosign.pub\""},
		{"scan failed its gate", keys, "gate-test", ptr(scanned(false, time.Now())), 3, "failed its gate"},
		{"scan too old", keys, "gate-test", ptr(scanned(true, time.Now().Add(-30*24*time.Hour))), 3, "older than the maximum scan age"},
	}
	cfg := deployGateConfig
	images := map[string]string{}
	files := map[string]string{"keys/cosign.pub": string(pub)}
	for i, tt := range tests {
		svc := fmt.Sprintf("svc%d", i)
		repo := host + "/acme/" + svc
		cfg += fmt.Sprintf("  %s:\n    layout: manifests\n    path: apps/%s/{env}\n    image: %s\n", svc, svc, repo)
		for _, env := range []string{"dev", "staging"} {
			files["apps/"+svc+"/"+env+"/deployment.yaml"] = fmt.Sprintf(deployGateManifest, svc, repo)
		}
		d := pushRandomImage(t, repo)
		images[svc] = d.String()
		if tt.signer != nil {
			_, err := sign.Sign(ctx, d, signWith(tt.signer, tt.pw)...)
			require.NoError(t, err)
		}
		if tt.scan != nil {
			_, err := sign.AttestAll(ctx, d, []sign.Predicate{*tt.scan}, signWith(tt.signer, tt.pw)...)
			require.NoError(t, err)
		}
	}
	files["paved-gitops.yaml"] = cfg
	url := deployBareRemote(t, files)

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := fmt.Sprintf("svc%d", i)
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"deploy", "bump", "--repo", url, "--service", svc, "--env", "dev", "--image", images[svc]}, &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			before := deployHead(t, url)

			stdout.Reset()
			code = run(ctx, []string{"deploy", "promote", "--repo", url, "--service", svc, "--from", "dev", "--to", "staging"}, &stdout, &stderr)
			require.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			require.Contains(t, stdout.String()+stderr.String(), tt.want)
			require.NotContains(t, stderr.String(), "paved-gate-key-", "errors name the key as configured")
			if tt.code != 0 {
				require.Equal(t, before, deployHead(t, url), "a refused promotion pushes nothing")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// pushRandomImage pushes a random image to repo and returns its digest.
func pushRandomImage(t *testing.T, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	require.NoError(t, err)
	tag, err := name.NewTag(repo + ":latest")
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
	h, err := img.Digest()
	require.NoError(t, err)
	return tag.Context().Digest(h.String())
}

// deployBareRemote creates a bare repository whose main branch holds files
// in one commit and returns its path.
func deployBareRemote(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gitops.git")
	_, err := git.PlainInit(dir, true)
	require.NoError(t, err)
	repo, err := git.Init(memory.NewStorage(), memfs.New())
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		require.NoError(t, wt.Filesystem.MkdirAll(filepath.Dir(n), 0o755))
		f, err := wt.Filesystem.Create(n)
		require.NoError(t, err)
		_, err = f.Write([]byte(files[n]))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		_, err = wt.Add(n)
		require.NoError(t, err)
	}
	sig := &object.Signature{Name: "seed", Email: "seed@example.com", When: time.Unix(1700000000, 0)}
	_, err = wt.Commit("seed", &git.CommitOptions{Author: sig})
	require.NoError(t, err)
	_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{dir}})
	require.NoError(t, err)
	require.NoError(t, repo.Push(&git.PushOptions{RefSpecs: []config.RefSpec{"refs/heads/master:refs/heads/main"}}))
	return dir
}

// deployHead returns the hash of the main branch of the bare repository.
func deployHead(t *testing.T, dir string) string {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	require.NoError(t, err)
	ref, err := repo.Reference("refs/heads/main", true)
	require.NoError(t, err)
	return ref.Hash().String()
}

const deployBlueGreenManifest = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    version: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-blue
spec:
  template:
    spec:
      containers:
        - name: web
          image: %[1]s:v0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-green
spec:
  template:
    spec:
      containers:
        - name: web
          image: %[1]s:v0
`

// TestDeploySwitchAndRoutes drives switch and routes through the CLI: the
// switch into a gated environment is refused (exit 3) for an unsigned image
// by the real verifier, routes --check lists problems with exit 3 until
// routes --write generates the Ingress.
func TestDeploySwitchAndRoutes(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv(envRegistryUsername, "")
	t.Setenv(envRegistryPassword, "")
	for _, k := range []string{envGitToken, envGitSSHKey} {
		t.Setenv(k, "")
	}
	keys, err := sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	pub, err := os.ReadFile(keys.PublicKey)
	require.NoError(t, err)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/web"
	image := pushRandomImage(t, repo).String()

	cfg := "environments:\n  - name: dev\n  - name: prod\n    gates: {signature_key: keys/cosign.pub}\n" +
		"services:\n  web:\n    layout: manifests\n    path: apps/web/{env}\n    image: " + repo + "\n    blue_green: true\n"
	files := map[string]string{"paved-gitops.yaml": cfg, "keys/cosign.pub": string(pub)}
	for _, env := range []string{"dev", "prod"} {
		files["apps/web/"+env+"/web.yaml"] = fmt.Sprintf(deployBlueGreenManifest, repo)
	}
	url := deployBareRemote(t, files)

	var stdout, stderr bytes.Buffer
	paved := func(want int, args ...string) {
		t.Helper()
		stdout.Reset()
		stderr.Reset()
		code := run(ctx, append(args, "--repo", url), &stdout, &stderr)
		require.Equal(t, want, code, "paved %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	}
	for _, env := range []string{"dev", "prod"} {
		paved(0, "deploy", "bump", "--service", "web", "--env", env, "--image", image)
	}
	paved(0, "deploy", "switch", "--service", "web", "--env", "dev")
	require.Contains(t, stdout.String(), "switch dev blue → green")
	head := deployHead(t, url)
	paved(3, "deploy", "switch", "--service", "web", "--env", "prod")
	require.Contains(t, stderr.String(), "switching web in prod to green: verifying")
	require.Contains(t, stderr.String(), "no signature verifies with key \"keys/cosign.pub\"")
	require.Equal(t, head, deployHead(t, url))
	paved(2, "deploy", "switch", "--service", "web", "--env", "dev", "--to", "red")

	paved(3, "deploy", "routes", "--check")
	require.Contains(t, stdout.String(), "problem: routes/dev/ingress.yaml: no such file")
	require.Contains(t, stdout.String(), "problem: routes/prod/ingress.yaml: no such file")
	paved(2, "deploy", "routes", "--check", "--write")
	paved(0, "deploy", "routes", "--write", "--dry-run")
	require.Contains(t, stdout.String(), "+                name: web\n")
	require.Equal(t, head, deployHead(t, url), "a dry run pushes nothing")
	paved(0, "deploy", "routes", "--write")
	require.Contains(t, stdout.String(), "pushed")
	paved(0, "deploy", "routes", "--check", "--env", "prod")
	require.Contains(t, stdout.String(), "ok: routes/prod/ingress.yaml route every service")
}
