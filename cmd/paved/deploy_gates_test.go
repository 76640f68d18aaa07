package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/scan"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// The gate cases: what the image lacks, or what the environment demands.
const (
	gUnsigned   = "unsigned"    // no signature at all
	gWrongKey   = "wrongkey"    // signed and attested with another key than the environment's
	gFailedScan = "failedscan"  // its newest scan attestation failed its gate (a real Trivy finding)
	gStaleScan  = "stalescan"   // its scan finished 30 days ago, max_scan_age is 7d
	gNoApproval = "noapproval"  // into prod (approval: required) without --approved-by
	gLocked     = "locked"      // the service is locked by a rollback
	gUnlock     = "unlockgated" // bump --unlock of an unsigned digest: a lock is lifted, never a gate
	gOK         = "ok"          // everything passes: the control that the gates let good images in
)

// The images of the fixture, by the gate case they fail (gOK passes all).
var gateImages = []string{gUnsigned, gWrongKey, gFailedScan, gStaleScan, gOK}

// gateEnvs are the environments: dev ungated, staging gated on a signature
// with keys/cosign.pub and a passed scan at most 7 days old, prod the same
// plus approval.
const gateEnvs = `environments:
  - name: dev
  - name: staging
    gates: {signature_key: keys/cosign.pub, vulnerability_scan: true, max_scan_age: 7d}
  - name: prod
    approval: required
    gates: {signature_key: keys/cosign.pub, vulnerability_scan: true, max_scan_age: 7d}
`

// openEnvs are the same environments before their gates were declared: the
// state each case needs is reached through real bumps and rollbacks first.
const openEnvs = "environments:\n  - name: dev\n  - name: staging\n  - name: prod\n"

// gateFixture is a registry holding, per layout's repository, the images of
// gateImages signed and attested as their case says, with real scan reports
// (Trivy, fixture DB) of each digest.
type gateFixture struct {
	host             string
	db               string // the fixture vulnerability DB
	envKey, otherKey *sign.KeyPair
	pub              string
	digests          map[string]string   // image case -> sha256:...
	imgs             map[string]v1.Image // image case -> image
	reports          map[string][]byte   // image case -> paved's scan report of its digest
}

func newGateFixture(t *testing.T) *gateFixture {
	t.Helper()
	fx := &gateFixture{host: testRegistry(t), digests: map[string]string{}, imgs: map[string]v1.Image{}, reports: map[string][]byte{}}
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv(envRegistryUsername, "")
	t.Setenv(envRegistryPassword, "")
	for _, k := range []string{envGitToken, envGitSSHKey} {
		t.Setenv(k, "")
	}
	t.Setenv("COSIGN_PASSWORD", "pw")
	var err error
	fx.envKey, err = sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	fx.otherKey, err = sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	pub, err := os.ReadFile(fx.envKey.PublicKey)
	require.NoError(t, err)
	fx.pub = string(pub)

	fx.db = t.TempDir()
	require.NoError(t, vulndb.BuildFixture(fx.db, time.Now()))
	// A Go service: golang.org/x/text v0.3.8 passes, v0.3.7 has CVE-2022-32149 (HIGH).
	none := []testimage.Package{}
	good := testimage.New(t, testimage.Options{Debian: []testimage.DebianPackage{}, Python: none, NPM: none})
	vulnerable := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion, Debian: []testimage.DebianPackage{}, Python: none, NPM: none})
	for _, c := range gateImages {
		base := good
		if c == gFailedScan {
			base = vulnerable
		}
		img, err := mutate.Config(base, v1.Config{Labels: map[string]string{"case": c}})
		require.NoError(t, err)
		h, err := img.Digest()
		require.NoError(t, err)
		fx.imgs[c], fx.digests[c] = img, h.String()
		ref := fx.pushImage(t, "acme/scanned", c)
		rep, err := scan.Image(context.Background(), ref, scan.WithDBDir(fx.db))
		require.Equal(t, c == gFailedScan, err != nil, "scan of %s: %v", c, err)
		fx.reports[c], err = json.Marshal(rep)
		require.NoError(t, err)
	}
	return fx
}

// pushImage pushes the image of case c to repo and returns it by digest.
func (fx *gateFixture) pushImage(t *testing.T, repo, c string) string {
	t.Helper()
	tag, err := name.NewTag(fx.host + "/" + repo + ":" + c)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, fx.imgs[c]))
	return fx.host + "/" + repo + "@" + fx.digests[c]
}

// publish pushes every image to repo, signed and attested as its case says.
func (fx *gateFixture) publish(t *testing.T, repo string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range gateImages {
		ref := fx.pushImage(t, repo, c)
		if c == gUnsigned {
			continue
		}
		key, finished := fx.envKey, time.Now()
		switch c {
		case gWrongKey:
			key = fx.otherKey
		case gStaleScan:
			finished = time.Now().Add(-30 * 24 * time.Hour)
		}
		d, err := name.NewDigest(ref)
		require.NoError(t, err)
		opts := []sign.Option{sign.WithKey(key.PrivateKey), sign.WithKeychain(authn.DefaultKeychain),
			sign.WithPassword(func() ([]byte, error) { return []byte("pw"), nil })}
		_, err = sign.Sign(ctx, d, opts...)
		require.NoError(t, err)
		s, err := sign.ScanFromReport(fx.reports[c], time.Now())
		require.NoError(t, err)
		s.FinishedOn = finished
		body, err := sign.VulnPredicate(s)
		require.NoError(t, err)
		_, err = sign.AttestAll(ctx, d, []sign.Predicate{{Type: sign.PredicateVuln, Body: body}}, opts...)
		require.NoError(t, err)
	}
}

// Layouts of the table, each with the files an upstream project ships.
var gateLayouts = []string{"helm", "kustomize", "manifests", "blue-green"}

// layoutService returns the paved-gitops.yaml entry of service svc with
// layout l running image repo, and its files in every environment: a
// `helm create` values file (repository:tag chart), a kustomization without
// images: over the upstream guestbook Deployment, that Deployment as a
// plain manifest, and a blue-green pair.
func layoutService(l, svc, repo string) (string, map[string]string) {
	files := map[string]string{}
	var entry string
	for _, env := range []string{"dev", "staging", "prod"} {
		switch l {
		case "helm":
			entry = fmt.Sprintf("  %s:\n    layout: helm\n    path: charts/%s\n    image: %s\n    helm: {file: \"values-{env}.yaml\"}\n", svc, svc, repo)
			files["charts/"+svc+"/values-"+env+".yaml"] = helmCreateValues
		case "kustomize":
			entry = fmt.Sprintf("  %s:\n    layout: kustomize\n    path: apps/%s/{env}\n    image: %s\n    kustomize: {name: gcr.io/google-samples/gb-frontend}\n", svc, svc, repo)
			files["apps/"+svc+"/"+env+"/kustomization.yaml"] = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n"
			files["apps/"+svc+"/"+env+"/deployment.yaml"] = guestbookFrontend()
		case "manifests":
			entry = fmt.Sprintf("  %s:\n    layout: manifests\n    path: manifests/%s/{env}\n    image: %s\n    manifests: {container: php-redis}\n", svc, svc, repo)
			files["manifests/"+svc+"/"+env+"/frontend.yaml"] = guestbookFrontend()
		case "blue-green":
			entry = fmt.Sprintf("  %s:\n    layout: manifests\n    path: bluegreen/%s/{env}\n    image: %s\n    blue_green: true\n", svc, svc, repo)
			files["bluegreen/"+svc+"/"+env+"/"+svc+".yaml"] = fmt.Sprintf(blueGreenPair, svc, repo)
		}
	}
	return entry, files
}

// helmCreateValues is the image part of the values.yaml `helm create`
// writes: its templates render {{ .Values.image.repository }}:{{ .Values.image.tag }}.
const helmCreateValues = `replicaCount: 1

image:
  repository: nginx
  # This sets the pull policy for images.
  pullPolicy: IfNotPresent
  # Overrides the image tag whose default is the chart appVersion.
  tag: ""
`

// guestbookFrontend is the upstream Deployment the deploy package's tests
// bump: the guestbook frontend, running gcr.io/google-samples/gb-frontend:v5.
// It is read on first use: the wrapper tests run this test binary as paved
// in other directories, where package initialisation must not fail.
var guestbookFrontend = sync.OnceValue(func() string {
	data, err := os.ReadFile(filepath.Join("..", "..", "pipelines", "deploy", "testdata", "upstream", "frontend-deployment.yaml"))
	if err != nil {
		panic(err)
	}
	return string(data)
})

// blueGreenPair is a blue-green service: a Service selecting the live slot
// and the Deployments of both slots.
const blueGreenPair = `apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector:
    app: %[1]s
    version: blue
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s-blue
spec:
  template:
    spec:
      containers:
        - name: app
          image: %[2]s:v0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s-green
spec:
  template:
    spec:
      containers:
        - name: app
          image: %[2]s:v0
`

// gateRepo is a bare GitOps remote of one layout with a service per case.
type gateRepo struct {
	url      string
	services string // the services: part of paved-gitops.yaml
	fx       *gateFixture
	repo     string // the layout's image repository, host/acme/<layout>
}

// newGateRepo creates the remote with the services (each of layout,
// running repo), open environments and the gate key at keys/cosign.pub.
func (fx *gateFixture) newGateRepo(t *testing.T, layout, repo string, services []string) *gateRepo {
	t.Helper()
	r := &gateRepo{fx: fx, repo: repo, services: "services:\n"}
	files := map[string]string{"keys/cosign.pub": fx.pub}
	for _, svc := range services {
		entry, fs := layoutService(layout, svc, repo)
		r.services += entry
		for k, v := range fs {
			files[k] = v
		}
	}
	files[deploy.ConfigFile] = openEnvs + r.services
	r.url = deployBareRemote(t, files)
	return r
}

// ref returns the layout's image of case c.
func (r *gateRepo) ref(c string) string { return r.repo + "@" + r.fx.digests[c] }

// bump, rollback and switchSlot reach a case's starting state with the
// open environments (no gate applies yet).
func (r *gateRepo) bump(t *testing.T, svc, env, c string) {
	t.Helper()
	d, err := name.NewDigest(r.ref(c))
	require.NoError(t, err)
	_, err = deploy.Bump(context.Background(), r.url, deploy.BumpRequest{Service: svc, Env: env, Image: d, Version: c})
	require.NoError(t, err)
}

func (r *gateRepo) rollback(t *testing.T, svc, env string) {
	t.Helper()
	_, err := deploy.Rollback(context.Background(), r.url, deploy.RollbackRequest{Service: svc, Env: env, Reason: "seeding a lock"})
	require.NoError(t, err)
}

func (r *gateRepo) switchSlot(t *testing.T, svc, env string) {
	t.Helper()
	_, err := deploy.Switch(context.Background(), r.url, deploy.SwitchRequest{Service: svc, Env: env})
	require.NoError(t, err)
}

// declareGates commits paved-gitops.yaml with the environments' gates.
func (r *gateRepo) declareGates(t *testing.T) {
	t.Helper()
	deployCommit(t, r.url, map[string]string{deploy.ConfigFile: gateEnvs + r.services})
}

// deployCommit commits files to the main branch of the bare remote dir.
func deployCommit(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	repo, err := git.Clone(memory.NewStorage(), memfs.New(), &git.CloneOptions{URL: dir, ReferenceName: "refs/heads/main"})
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	for n, data := range files {
		require.NoError(t, wt.Filesystem.MkdirAll(filepath.Dir(n), 0o755))
		f, err := wt.Filesystem.Create(n)
		require.NoError(t, err)
		_, err = f.Write([]byte(data))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		_, err = wt.Add(n)
		require.NoError(t, err)
	}
	sig := &object.Signature{Name: "platform", Email: "platform@example.com", When: time.Now()}
	_, err = wt.Commit("declare the gates", &git.CommitOptions{Author: sig})
	require.NoError(t, err)
	require.NoError(t, repo.Push(&git.PushOptions{}))
}
