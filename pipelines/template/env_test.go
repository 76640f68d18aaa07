package template_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/publish"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/template/service"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

const keyPassword = "correct horse battery staple"

var goAPI = filepath.Join("..", "..", "examples", "reference-apps", "go-api")

// testEnv is everything build-scan-deploy talks to, in process and on
// loopback: a registry holding the platform's static base, a monorepo
// checkout holding go-api with the layout of this repository (policy,
// keys and GitOps remote at the paths go-api's paved.yaml names), a
// fixture vulnerability database and a bare GitOps remote.
type testEnv struct {
	host    string // registry host:port
	repo    string // monorepo work tree
	service string // go-api's directory in it
	gitops  string // bare GitOps remote
	dbDir   string
	keys    *sign.KeyPair
	reports string
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	e := &testEnv{host: strings.TrimPrefix(srv.URL, "http://"), repo: t.TempDir(), dbDir: t.TempDir(), reports: t.TempDir()}
	img, err := base.Static("/", base.Config{Created: time.Unix(0, 0)})
	require.NoError(t, err)
	pub, err := publish.Registry(e.host+"/platform/static", []string{"1"}, nil, nil)
	require.NoError(t, err)
	_, err = publish.All(context.Background(), publish.Artifact{Image: img}, pub)
	require.NoError(t, err)

	e.service = filepath.Join(e.repo, "examples", "reference-apps", "go-api")
	copyDir(t, goAPI, e.service)
	writeFile(t, filepath.Join(e.repo, "examples", "policy.yaml"),
		"apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\""+e.host+"/platform/*\"]\n")
	commitAll(t, e.repo, "https://git.example.com/acme/shop.git")

	e.keys, err = sign.GenerateKeys(filepath.Join(e.repo, "examples", "keys"), []byte(keyPassword))
	require.NoError(t, err)
	require.NoError(t, vulndb.BuildFixture(e.dbDir, time.Now()))
	e.gitops = filepath.Join(e.repo, "examples", "gitops.git")
	newGitOpsRemote(t, e.gitops, e.host+"/services/go-api")
	return e
}

// options are the flags `make demo` would pass: the registry's real
// port, the database and the key password.
func (e *testEnv) options(extra ...template.Option) []template.Option {
	return append([]template.Option{
		template.WithRegistry(e.host), template.WithDBDir(e.dbDir), template.WithReportDir(e.reports),
		template.WithPassword(func() ([]byte, error) { return []byte(keyPassword), nil }),
		template.WithRunID("run-42"), template.WithDeployedBy("ci@example.com"),
	}, extra...)
}

func (e *testEnv) config(t testing.TB) *service.Config {
	t.Helper()
	c, err := service.Load(filepath.Join(e.service, service.ConfigFile))
	require.NoError(t, err)
	return c
}

// copyDir copies the regular, non-hidden files of src into dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, en := range entries {
		if !en.Type().IsRegular() || strings.HasPrefix(en.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, en.Name()))
		require.NoError(t, err)
		writeFile(t, filepath.Join(dst, en.Name()), string(data))
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// commitAll commits every file of the work tree dir (a new repository
// with origin url) and returns the commit.
func commitAll(t testing.TB, dir, url string) string {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		repo, err = git.PlainInit(dir, false)
		require.NoError(t, err)
		_, err = repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}})
		require.NoError(t, err)
	}
	wt, err := repo.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.AddGlob("."))
	sig := &object.Signature{Name: "dev", Email: "dev@example.com", When: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
	h, err := wt.Commit("change", &git.CommitOptions{Author: sig, AllowEmptyCommits: true})
	require.NoError(t, err)
	return h.String()
}

// goMod runs the go command in dir, without paved's GOEXPERIMENT.
func goMod(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOEXPERIMENT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}

const gitopsConfig = `environments:
  - name: dev
  - name: staging
    gates:
      signature_key: keys/cosign.pub
      vulnerability_scan: true
  - name: prod
    approval: required
services:
  go-api:
    layout: manifests
    path: manifests/go-api/{env}
    image: IMAGE
`

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: go-api
spec:
  template:
    spec:
      containers:
      - name: go-api
        image: IMAGE:v0.9.0
`

// newGitOpsRemote creates a bare GitOps repository at dir with go-api's
// manifests in every environment.
func newGitOpsRemote(t testing.TB, dir, image string) {
	t.Helper()
	_, err := git.PlainInit(dir, true)
	require.NoError(t, err)
	files := map[string]string{"paved-gitops.yaml": strings.ReplaceAll(gitopsConfig, "IMAGE", image)}
	for _, env := range []string{"dev", "staging", "prod"} {
		files["manifests/go-api/"+env+"/deployment.yaml"] = strings.ReplaceAll(deployment, "IMAGE", image)
	}
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
	_, err = repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{dir}})
	require.NoError(t, err)
	require.NoError(t, repo.Push(&git.PushOptions{RefSpecs: []gitconfig.RefSpec{"refs/heads/master:refs/heads/main"}}))
}

// gitopsState returns the remote's files and commits, newest first.
func gitopsState(t testing.TB, url string) (map[string]string, []*object.Commit) {
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
