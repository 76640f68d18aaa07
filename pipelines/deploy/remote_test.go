package deploy

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/gitremote/gitremotetest"
)

// testConfig is the paved-gitops.yaml of the test repositories.
const testConfig = `# GitOps repository of the shop.
environments:
  - name: dev
  - name: staging
    gates:
      signature_key: keys/cosign.pub
      vulnerability_scan: true
  - name: prod
    approval: required
    gates:
      signature_key: keys/cosign.pub
      vulnerability_scan: true
services:
  api:
    layout: helm
    path: charts/api
    image: ghcr.io/acme/api
    helm:
      file: values-{env}.yaml
  checkout:
    layout: kustomize
    path: apps/checkout/{env}
    image: registry.acme.internal/mirror/checkout
    kustomize:
      name: ghcr.io/acme/checkout
  worker:
    layout: manifests
    path: manifests/worker/{env}
    image: ghcr.io/acme/worker
  web:
    layout: manifests
    path: manifests/web/{env}
    image: ghcr.io/acme/web
    blue_green: true
`

// testPublicKey is the gates' key file; the fake verifier only compares it.
const testPublicKey = "-----BEGIN PUBLIC KEY-----\nfake\n-----END PUBLIC KEY-----\n"

// gitopsFiles returns the files of a GitOps repository with the three
// services of testConfig in every environment.
func gitopsFiles(t testing.TB) map[string]string {
	t.Helper()
	read := func(p string) string {
		data, err := os.ReadFile(filepath.Join("testdata/golden", p))
		require.NoError(t, err)
		return string(data)
	}
	files := map[string]string{ConfigFile: testConfig, "keys/cosign.pub": testPublicKey}
	for _, env := range []string{"dev", "staging", "prod"} {
		files["charts/api/values-"+env+".yaml"] = read("helm/values.yaml")
		for _, f := range []string{"kustomization.yaml", "deployment.yaml", "service.yaml", "replicas.yaml"} {
			files["apps/checkout/"+env+"/"+f] = read("kustomize/" + f)
		}
		files["manifests/worker/"+env+"/all.yaml"] = read("manifests/all.yaml")
		files["manifests/web/"+env+"/web.yaml"] = read("bluegreen/web.yaml")
	}
	return files
}

// newBareRemote creates a bare repository holding files in one commit on
// main and returns its path, usable as a remote URL.
func newBareRemote(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gitops.git")
	_, err := git.PlainInit(dir, true)
	require.NoError(t, err)
	seed(t, dir, files)
	return dir
}

// seed pushes one commit with files to the main branch of url.
func seed(t testing.TB, url string, files map[string]string) {
	t.Helper()
	repo, err := git.Init(memory.NewStorage(), memfs.New())
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		require.NoError(t, writeFile(wt.Filesystem, name, []byte(files[name])))
		_, err := wt.Add(name)
		require.NoError(t, err)
	}
	sig := &object.Signature{Name: "seed", Email: "seed@example.com", When: time.Unix(1700000000, 0)}
	_, err = wt.Commit("seed", &git.CommitOptions{Author: sig})
	require.NoError(t, err)
	_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}})
	require.NoError(t, err)
	require.NoError(t, repo.Push(&git.PushOptions{RefSpecs: []config.RefSpec{"refs/heads/master:refs/heads/main"}}))
}

// remoteState clones url and returns its files and its commits, newest first.
func remoteState(t testing.TB, url string) (map[string]string, []*object.Commit) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: url, ReferenceName: "refs/heads/main"})
	require.NoError(t, err)
	head, err := repo.Head()
	require.NoError(t, err)
	c, err := repo.CommitObject(head.Hash())
	require.NoError(t, err)
	files := map[string]string{}
	tree, err := c.Tree()
	require.NoError(t, err)
	require.NoError(t, tree.Files().ForEach(func(f *object.File) error {
		s, err := f.Contents()
		files[f.Name] = s
		return err
	}))
	var log []*object.Commit
	iter, err := repo.Log(&git.LogOptions{From: head.Hash()})
	require.NoError(t, err)
	require.NoError(t, iter.ForEach(func(c *object.Commit) error { log = append(log, c); return nil }))
	return files, log
}

// changedFiles returns the files a commit changed against its parent.
func changedFiles(t testing.TB, c *object.Commit) []string {
	t.Helper()
	parent, err := c.Parent(0)
	require.NoError(t, err)
	patch, err := parent.Patch(c)
	require.NoError(t, err)
	var out []string
	for _, fp := range patch.FilePatches() {
		from, to := fp.Files()
		if to != nil {
			out = append(out, to.Path())
		} else {
			out = append(out, from.Path())
		}
	}
	sort.Strings(out)
	return out
}

// httpRemote serves the bare repository at dir over git's smart HTTP
// protocol, requiring basic auth with token as the password (see
// gitremotetest.HTTP). It returns the repository URL.
func httpRemote(t testing.TB, dir, token string) string { return gitremotetest.HTTP(t, dir, token) }

func testClock() time.Time { return time.Date(2026, 11, 3, 14, 5, 0, 0, time.FixedZone("CET", 3600)) }

var _ = context.Background

func basicAuth(token string) *githttp.BasicAuth {
	return &githttp.BasicAuth{Username: "x-access-token", Password: token}
}
