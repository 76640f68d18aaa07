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
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

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
// bump into a gated environment is refused (exit 3) for an unsigned image
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
	paved(0, "deploy", "bump", "--service", "web", "--env", "dev", "--image", image)
	paved(0, "deploy", "switch", "--service", "web", "--env", "dev")
	require.Contains(t, stdout.String(), "switch dev blue → green")
	head := deployHead(t, url)
	// prod's gate refuses the unsigned image to a bump as to a switch.
	paved(3, "deploy", "bump", "--service", "web", "--env", "prod", "--image", image)
	require.Contains(t, stderr.String(), "bumping web in prod: verifying")
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
