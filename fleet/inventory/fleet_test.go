package inventory

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/oci"
)

// testFleet is a generated fleet: its file, its repositories and, when
// registry is set, the registry holding the deployed images.
type testFleet struct {
	fleet    *fleet.Fleet
	dir      string
	registry string
	repos    map[string]*fleettest.Repo
	gitops   *fleettest.Repo
}

// serviceFiles returns the files of generated service i: four shapes of
// wrapper, base and module, in turn.
func serviceFiles(i int) map[string]string {
	switch i % 4 {
	case 0:
		return map[string]string{
			".github/workflows/paved.yml": "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.1.0\n",
			"Dockerfile":                  "FROM registry.example.com/platform/python-base:1.0\nCOPY app /app\n",
		}
	case 1:
		return map[string]string{
			".gitlab-ci.yml": "include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@v0.2.0\n",
			"paved.yaml":     fmt.Sprintf("apiVersion: paved.dev/v1\nkind: Service\nname: svc-%02d\nbuild:\n  kind: go\n  base: registry.example.com/platform/static:1\n", i),
		}
	case 2:
		return map[string]string{
			"Makefile":    "ci:\n\tdagger call -m github.com/paved-dev/paved@v0.2.0 build-scan-deploy --source .\n",
			"dagger.json": "{\"name\": \"svc\", \"dependencies\": [{\"name\": \"paved\", \"source\": \"github.com/paved-dev/paved@v0.2.0\"}]}\n",
			"Dockerfile":  "ARG BASE=registry.example.com/platform/python-base:1.1\nFROM ${BASE}\n",
		}
	}
	return map[string]string{
		".github/workflows/paved.yml": "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.2.0\n",
		"infra/main.tf":               "module \"db\" {\n  source = \"git::https://git.example.com/modules/db.git?ref=v3.1.0\"\n}\n",
	}
}

// newTestFleet generates n service repositories svc-00… (n ≥ 8 puts, in
// place of the last three, one without a pin, one pinned to a branch and
// one unreachable), a GitOps repository deploying the first ones to dev
// and prod, and with withRegistry their images in an in-process registry.
func newTestFleet(tb testing.TB, n int, withRegistry bool) *testFleet {
	tb.Helper()
	dir := tb.TempDir()
	tf := &testFleet{dir: dir, repos: map[string]*fleettest.Repo{}}
	f := &fleet.Fleet{APIVersion: fleet.APIVersion, Kind: fleet.Kind, Dir: dir}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%02d", i)
		files := serviceFiles(i)
		switch {
		case n >= 8 && i == n-3:
			files = map[string]string{"Dockerfile": "FROM registry.example.com/platform/python-base:1.0\n"}
		case n >= 8 && i == n-2:
			files = map[string]string{".github/workflows/paved.yml": "    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@main\n"}
		case n >= 8 && i == n-1:
			f.Services = append(f.Services, fleet.Service{Repository: filepath.Join(dir, "gone", name+".git"), Team: "ghosts"})
			continue
		}
		tf.repos[name] = fleettest.NewRepo(tb, filepath.Join(dir, "repos"), name, files)
		svc := fleet.Service{Repository: tf.repos[name].Dir, Tier: fmt.Sprint(i % 3), Team: []string{"core", "web"}[i%2]}
		if i%4 != 1 { // case 1 takes its name from paved.yaml
			svc.Name = name
		}
		f.Services = append(f.Services, svc)
	}
	if withRegistry {
		srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		tb.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		tf.registry = u.Host
	}
	tf.gitops = fleettest.NewRepo(tb, dir, "gitops", map[string]string{deploy.VersionsFile: tf.versions(tb, n)})
	f.GitOps.Repository = tf.gitops.Dir
	tf.fleet = f
	return tf
}

// versions deploys svc-00..svc-03 to dev and svc-00 to prod, plus a
// service the fleet does not list; with a registry, their images are
// pushed with base annotations (svc-03's is missing from the registry).
func (tf *testFleet) versions(tb testing.TB, n int) string {
	host := tf.registry
	if host == "" {
		host = "registry.invalid"
	}
	v := &deploy.Versions{Services: map[string]map[string]*deploy.Record{}}
	add := func(svc, env, base string) {
		repo := host + "/services/" + svc
		digest := "sha256:" + fmt.Sprintf("%064x", len(svc)+len(env))
		if tf.registry != "" && base != "" {
			digest = push(tb, repo, svc, base)
		}
		if v.Services[svc] == nil {
			v.Services[svc] = map[string]*deploy.Record{}
		}
		v.Services[svc][env] = &deploy.Record{Version: "1.0.0", Image: repo, Digest: digest, PavedVersion: "v0.1.0", DeployedAt: "2026-11-01T10:00:00Z"}
	}
	for i := 0; i < 4 && i < n; i++ {
		base := fmt.Sprintf("registry.example.com/platform/python-base:1.%d", i%2)
		if i == 3 {
			base = ""
		}
		add(fmt.Sprintf("svc-%02d", i), "dev", base)
	}
	add("svc-00", "prod", "registry.example.com/platform/python-base:1.0")
	v.Services["svc-00"]["prod"].Lock = &deploy.Lock{Reason: "rolled back: crash loop", At: "2026-11-01T11:00:00Z"}
	add("legacy", "prod", "")
	data, err := v.Marshal()
	require.NoError(tb, err)
	return string(data)
}

// push writes a small image for svc to repo, annotated with base the way
// paved build annotates, and returns its digest.
func push(tb testing.TB, repo, svc, base string) string {
	layer := static.NewLayer([]byte(svc), types.OCILayer)
	img, err := mutate.AppendLayers(empty.Image, layer)
	require.NoError(tb, err)
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.Annotations(img, map[string]string{
		oci.AnnotationBaseName:   base,
		oci.AnnotationBaseDigest: "sha256:" + fmt.Sprintf("%064x", len(base)),
	}).(v1.Image)
	ref, err := name.ParseReference(repo + ":1.0.0")
	require.NoError(tb, err)
	require.NoError(tb, remote.Write(ref, img))
	d, err := img.Digest()
	require.NoError(tb, err)
	return d.String()
}
