//go:build admission

package admission_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/publish"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/template/service"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

const keyPassword = "correct horse battery staple"

// cluster is what the enforcers are tested against: a loopback registry
// with the platform's static base, a monorepo checkout holding go-api (with
// the policy, the prod key and the GitOps remote at the paths its
// paved.yaml names), the GitOps work tree the export reads, a fixture
// vulnerability database, and a second key pair that is not prod's.
type cluster struct {
	host    string // registry host:port
	repo    string // monorepo work tree
	gitops  string // GitOps work tree (paved-gitops.yaml, keys/cosign.pub)
	db      string
	reports string
	key     *sign.KeyPair // prod's
	other   *sign.KeyPair
	base    string // the static base, by digest
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	c := &cluster{host: strings.TrimPrefix(srv.URL, "http://"), repo: t.TempDir(), gitops: t.TempDir(), db: t.TempDir(), reports: t.TempDir()}
	img, err := base.Static("/", base.Config{Created: time.Unix(0, 0)})
	require.NoError(t, err)
	pub, err := publish.Registry(c.host+"/platform/static", []string{"1"}, nil, nil)
	require.NoError(t, err)
	res, err := publish.All(context.Background(), publish.Artifact{Image: img}, pub)
	require.NoError(t, err)
	c.base = c.host + "/platform/static@" + res.Digest

	svc := filepath.Join(c.repo, "examples", "reference-apps", "go-api")
	require.NoError(t, os.MkdirAll(filepath.Dir(svc), 0o755))
	out, err := exec.Command("cp", "-r", filepath.Join("..", "..", "examples", "reference-apps", "go-api"), svc).CombinedOutput()
	require.NoError(t, err, string(out))
	writeFile(t, filepath.Join(c.repo, "examples", "policy.yaml"), "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\""+c.host+"/platform/*\"]\n")
	commit(t, c.repo, "https://git.example.com/acme/shop.git")
	c.key, err = sign.GenerateKeys(filepath.Join(c.repo, "examples", "keys"), []byte(keyPassword))
	require.NoError(t, err)
	c.other, err = sign.GenerateKeys(t.TempDir(), []byte(keyPassword))
	require.NoError(t, err)
	require.NoError(t, vulndb.BuildFixture(c.db, time.Now()))
	c.newGitOps(t)
	return c
}

// gitopsConfig is the GitOps repository's paved-gitops.yaml: prod is gated
// by the prod key, a passing scan at most 7 days old.
const gitopsConfig = `environments:
  - name: dev
  - name: staging
  - name: prod
    gates:
      signature_key: keys/cosign.pub
      vulnerability_scan: true
      max_scan_age: 7d
services:
  go-api:
    layout: manifests
    path: manifests/go-api/{env}
    image: HOST/services/go-api
`

// newGitOps makes the GitOps work tree, with prod's public key, and pushes
// it to the bare remote go-api's paved.yaml deploys to.
func (c *cluster) newGitOps(t *testing.T) {
	t.Helper()
	writeFile(t, filepath.Join(c.gitops, "paved-gitops.yaml"), strings.ReplaceAll(gitopsConfig, "HOST", c.host))
	pubKey, err := os.ReadFile(c.key.PublicKey)
	require.NoError(t, err)
	writeFile(t, filepath.Join(c.gitops, "keys", "cosign.pub"), string(pubKey))
	for _, env := range []string{"dev", "staging", "prod"} {
		writeFile(t, filepath.Join(c.gitops, "manifests", "go-api", env, "deployment.yaml"),
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: go-api\nspec:\n  template:\n    spec:\n      containers:\n      - name: go-api\n        image: "+c.host+"/services/go-api:v0.9.0\n")
	}
	remote := filepath.Join(c.repo, "examples", "gitops.git")
	_, err = git.PlainInit(remote, true)
	require.NoError(t, err)
	commit(t, c.gitops, remote)
	repo, err := git.PlainOpen(c.gitops)
	require.NoError(t, err)
	require.NoError(t, repo.Push(&git.PushOptions{RefSpecs: []gitconfig.RefSpec{"refs/heads/master:refs/heads/main"}}))
}

// pipeline runs paved run build-scan-deploy for go-api into dev and
// returns the image it pushed, by digest.
func (c *cluster) pipeline(t *testing.T) string {
	t.Helper()
	cfg, err := service.Load(filepath.Join(c.repo, "examples", "reference-apps", "go-api", service.ConfigFile))
	require.NoError(t, err)
	rec, err := template.BuildScanDeploy(context.Background(), cfg,
		template.WithRegistry(c.host), template.WithDBDir(c.db), template.WithReportDir(c.reports),
		template.WithPassword(func() ([]byte, error) { return []byte(keyPassword), nil }), template.WithRunID("run-19"))
	require.NoError(t, err)
	require.Equal(t, record.StatusOK, rec.Status)
	return rec.Image
}

// attested pushes a new image to go-api's repository and signs and attests
// it as paved attest does: with key, a scan whose gate passed (or not) and
// finished at finished, and SLSA provenance naming the static base.
func (c *cluster) attested(t *testing.T, key *sign.KeyPair, passed bool, finished time.Time) string {
	t.Helper()
	return c.attestedOn(t, key, passed, finished, c.base, c.host+"/platform/static:1")
}

// attestedOn is attested with another base: by digest, and as written.
func (c *cluster) attestedOn(t *testing.T, key *sign.KeyPair, passed bool, finished time.Time, base, baseName string) string {
	t.Helper()
	img := c.push(t, "services/go-api")
	prov, err := sign.ProvenancePredicate(sign.Provenance{SourceRepository: "https://git.example.com/acme/shop.git",
		SourceRevision: strings.Repeat("1", 40), BaseImage: base, BaseImageName: baseName})
	require.NoError(t, err)
	ref, err := name.NewDigest(img)
	require.NoError(t, err)
	_, err = sign.Sign(context.Background(), ref, signWith(key)...)
	require.NoError(t, err)
	_, err = sign.AttestAll(context.Background(), ref, []sign.Predicate{c.scan(t, ref, passed, finished), {Type: sign.PredicateProvenance, Body: prov}}, signWith(key)...)
	require.NoError(t, err)
	return img
}

// rescanned attests another scan of image (by digest), as a scheduled
// rescan does, and returns image.
func (c *cluster) rescanned(t *testing.T, image string, passed bool, finished time.Time) string {
	t.Helper()
	ref, err := name.NewDigest(image)
	require.NoError(t, err)
	_, err = sign.AttestAll(context.Background(), ref, []sign.Predicate{c.scan(t, ref, passed, finished)}, signWith(c.key)...)
	require.NoError(t, err)
	return image
}

// scan is the vulnerability predicate of the pipeline's scan report, made
// the report of image, with the verdict passed, finished at finished.
func (c *cluster) scan(t *testing.T, image name.Digest, passed bool, finished time.Time) sign.Predicate {
	t.Helper()
	report, err := os.ReadFile(filepath.Join(c.reports, template.ScanReportFile))
	require.NoError(t, err, "the pipeline's scan report")
	var r map[string]any
	require.NoError(t, json.Unmarshal(report, &r))
	r["gate"].(map[string]any)["passed"] = passed
	r["artifact"].(map[string]any)["digest"] = image.DigestStr()
	report, err = json.Marshal(r)
	require.NoError(t, err)
	vuln, err := sign.VulnPredicate(sign.Scan{Report: report, ScannerURI: "https://github.com/aquasecurity/trivy", ScannerVersion: "0.69.3", StartedOn: finished.Add(-time.Minute), FinishedOn: finished})
	require.NoError(t, err)
	return sign.Predicate{Type: sign.PredicateVuln, Body: vuln}
}

func signWith(key *sign.KeyPair) []sign.Option {
	return []sign.Option{sign.WithKey(key.PrivateKey), sign.WithPassword(func() ([]byte, error) { return []byte(keyPassword), nil })}
}

// push writes a random image to repo and returns it by digest.
func (c *cluster) push(t *testing.T, repo string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	require.NoError(t, err)
	d, err := img.Digest()
	require.NoError(t, err)
	ref, err := name.NewDigest(c.host + "/" + repo + "@" + d.String())
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, img))
	return ref.String()
}

// copyTo copies image (by digest) to repo under tag and returns the tag.
func copyTo(t *testing.T, image, repo, tag string) string {
	t.Helper()
	src, err := name.NewDigest(image)
	require.NoError(t, err)
	img, err := remote.Image(src)
	require.NoError(t, err)
	dst, err := name.NewTag(repo + ":" + tag)
	require.NoError(t, err)
	require.NoError(t, remote.Write(dst, img))
	return dst.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// commit commits every file of the work tree dir (a new repository with
// origin url, when it is none yet).
func commit(t *testing.T, dir, url string) {
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
	_, err = wt.Commit("change", &git.CommitOptions{Author: sig, AllowEmptyCommits: true})
	require.NoError(t, err)
}
