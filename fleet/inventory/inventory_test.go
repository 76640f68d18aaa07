package inventory

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var clock = func() time.Time { return time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC) }

func byName(inv *Inventory) map[string]Service {
	m := map[string]Service{}
	for _, s := range inv.Services {
		m[s.Name] = s
	}
	return m
}

func TestRunGeneratedFleet(t *testing.T) {
	tf := newTestFleet(t, 20, true)
	inv, err := Run(context.Background(), tf.fleet, WithCacheDir(t.TempDir()), WithJobs(4), WithClock(clock))
	require.NoError(t, err)
	require.Len(t, inv.Services, 20)
	require.Equal(t, "v0.2.0", inv.Latest, "the newest pinned version")
	svcs := byName(inv)

	tests := []struct {
		name, service, status, paved string
		blocked                      string
	}{
		{"github pin, older", "svc-04", StatusOutdated, "v0.1.0", ""},
		{"gitlab pin, name from paved.yaml", "svc-05", StatusCurrent, "v0.2.0", ""},
		{"dagger call and dagger.json agree", "svc-06", StatusCurrent, "v0.2.0", ""},
		{"locked environment blocks", "svc-00", StatusOutdated, "v0.1.0", "prod is locked after a rollback: rolled back: crash loop"},
		{"no pin", "svc-17", StatusUnpinned, "", "no paved version pinned"},
		{"branch pin", "svc-18", StatusNotSemver, "", `.github/workflows/paved.yml:1 pins paved at "main", which is not a release version`},
		{"unreachable", "svc-19", StatusUnreachable, "", "the repository could not be read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := svcs[tc.service]
			require.True(t, ok, "service %s listed", tc.service)
			require.Equal(t, tc.status, s.Status)
			require.Equal(t, tc.paved, s.Paved)
			if tc.blocked == "" {
				require.Empty(t, s.Blocked)
			} else {
				require.Contains(t, strings.Join(s.Blocked, "\n"), tc.blocked)
			}
		})
	}
	require.Contains(t, svcs["svc-19"].Error, "check the repository URL")
	require.Equal(t, "bad input", svcs["svc-19"].ErrorKind)
	require.Equal(t, "ghosts", svcs["svc-19"].Team)
	require.Equal(t, []string{"registry.example.com/platform/python-base:1.1"}, svcs["svc-02"].SourceBases(), "ARG default expanded")
	require.Len(t, svcs["svc-03"].Modules, 1)

	require.Equal(t, []string{"dev", "prod"}, inv.GitOps.Environments)
	require.Equal(t, []string{"legacy"}, inv.GitOps.Unlisted)
	require.Equal(t, []string{"dev=registry.example.com/platform/python-base:1.0", "prod=registry.example.com/platform/python-base:1.0"}, svcs["svc-00"].DeployedBases())
	require.Equal(t, []string{"dev=registry.example.com/platform/python-base:1.1"}, svcs["svc-01"].DeployedBases())
	require.Contains(t, svcs["svc-03"].Deployed[0].BaseError, "NAME_UNKNOWN", "an image missing from the registry is reported on its deployment")
}

func TestUsesBase(t *testing.T) {
	tf := newTestFleet(t, 20, true)
	inv, err := Run(context.Background(), tf.fleet, WithClock(clock))
	require.NoError(t, err)

	tests := []struct {
		query    string
		sources  []string
		deployed []string
	}{
		{"python-base:1.0", []string{"svc-00", "svc-04", "svc-08", "svc-12", "svc-16", "svc-17"}, []string{"svc-00/dev", "svc-00/prod", "svc-02/dev"}},
		{"registry.example.com/platform/python-base:1.1", []string{"svc-02", "svc-06", "svc-10", "svc-14"}, []string{"svc-01/dev"}},
		{"platform/static", []string{"svc-01", "svc-05", "svc-09", "svc-13"}, nil},
		{"ython-base:1.0", nil, nil},
		{"python-base:2.0", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			m := inv.UsesBase(tc.query)
			var sources, deployed []string
			for _, s := range m.Sources {
				sources = append(sources, s.Service)
			}
			for _, d := range m.Deployed {
				deployed = append(deployed, d.Service+"/"+d.Environment)
			}
			require.Equal(t, tc.sources, sources)
			require.Equal(t, tc.deployed, deployed)
		})
	}
}

func TestJSONAndHTML(t *testing.T) {
	tf := newTestFleet(t, 8, true)
	inv, err := Run(context.Background(), tf.fleet, WithClock(clock))
	require.NoError(t, err)
	inv.UsesBase("python-base:1.0")

	var js bytes.Buffer
	require.NoError(t, inv.WriteJSON(&js))
	golden(t, "inventory.json", strings.ReplaceAll(normalise(js.String(), tf), inv.GitOps.Commit, "$GITOPS_COMMIT"))

	var html bytes.Buffer
	require.NoError(t, inv.WriteHTML(&html))
	page := html.String()
	for _, s := range inv.Services {
		require.Contains(t, page, `<tr data-service="`+s.Name+`" data-status="`+s.Status+`">`)
	}
	require.Contains(t, page, `<h2>Which services use <code>python-base:1.0</code>?</h2>`)
	require.Contains(t, page, `<th>dev</th><th>prod</th>`)
	require.Contains(t, page, "on <code>registry.example.com/platform/python-base:1.0</code>")
	require.NotContains(t, page, "<script")

	var table bytes.Buffer
	require.NoError(t, inv.WriteTable(&table))
	golden(t, "inventory.txt", normalise(table.String(), tf))
}

// normalise replaces the run's temporary paths and registry port (the
// GitOps commit depends on the port, since versions.yaml names the images).
func normalise(s string, tf *testFleet) string {
	s = strings.ReplaceAll(s, tf.dir, "$TMP")
	return strings.ReplaceAll(s, tf.registry, "$REGISTRY")
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	if string(want) != got {
		t.Fatalf("%s differs from the golden file (go test -update rewrites it); got:\n%s", path, got)
	}
}

func TestWarmCacheSeesNewCommits(t *testing.T) {
	tf := newTestFleet(t, 4, false)
	cache := t.TempDir()
	run := func() map[string]Service {
		inv, err := Run(context.Background(), tf.fleet, WithCacheDir(cache), WithoutRegistry(), WithLatest("v0.3.0"))
		require.NoError(t, err)
		return byName(inv)
	}
	first := run()
	require.Equal(t, StatusOutdated, first["svc-00"].Status)

	tf.repos["svc-00"].Commit(t, map[string]string{".github/workflows/paved.yml": "uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.3.0\n"})
	second := run()
	require.Equal(t, StatusCurrent, second["svc-00"].Status)
	require.NotEqual(t, first["svc-00"].Commit, second["svc-00"].Commit)
	require.Equal(t, first["svc-02"].Commit, second["svc-02"].Commit)
}

func TestRegistryUnreachable(t *testing.T) {
	tf := newTestFleet(t, 4, false) // images named after registry.invalid
	inv, err := Run(context.Background(), tf.fleet, WithClock(clock))
	require.NoError(t, err)
	for _, s := range inv.Services {
		for _, d := range s.Deployed {
			require.NotEmpty(t, d.BaseError, "%s/%s", s.Name, d.Environment)
			require.Empty(t, d.Base)
		}
	}
	require.Len(t, byName(inv)["svc-00"].Deployed, 2, "deployments are listed without their bases")
}

func TestGitOpsUnreachable(t *testing.T) {
	tf := newTestFleet(t, 4, false)
	tf.fleet.GitOps.Repository = filepath.Join(tf.dir, "nope.git")
	inv, err := Run(context.Background(), tf.fleet)
	require.NoError(t, err)
	require.Contains(t, inv.GitOps.Error, "check the repository URL")
	require.Len(t, inv.Services, 4)
}

func TestPolicyBlocks(t *testing.T) {
	tf := newTestFleet(t, 4, true)
	p, err := policy.Parse([]byte(`apiVersion: paved.dev/v1
kind: PlatformPolicy
bases:
  denied:
    - image: registry.example.com/platform/python-base:1.0
      reason: CVE-2026-0001
      replacement: registry.example.com/platform/python-base:1.1
paved:
  minVersion: v0.2.0
`))
	require.NoError(t, err)
	inv, err := Run(context.Background(), tf.fleet, WithPolicy(p), WithClock(clock))
	require.NoError(t, err)
	svcs := byName(inv)
	blocked := strings.Join(svcs["svc-00"].Blocked, "\n")
	require.Contains(t, blocked, "paved v0.1.0 is older than the platform's minimum v0.2.0")
	require.Contains(t, blocked, "dev: base image")
	require.Contains(t, blocked, "CVE-2026-0001")
	require.Empty(t, svcs["svc-01"].Blocked)
}

type fakeForge map[string][]fleet.Service

func (f fakeForge) Repositories(_ context.Context, org string) ([]fleet.Service, error) {
	return f[org], nil
}

func TestDiscoveredServices(t *testing.T) {
	tf := newTestFleet(t, 4, false)
	found := []fleet.Service{{Repository: tf.repos["svc-02"].Dir, Name: "svc-02"}}
	tf.fleet.Services = tf.fleet.Services[:2]
	tf.fleet.Discover = []fleet.Discovery{{Forge: "fake", Organisation: "acme", Team: "discovered"}}
	inv, err := Run(context.Background(), tf.fleet, WithForge("fake", fakeForge{"acme": found}), WithoutRegistry())
	require.NoError(t, err)
	svcs := byName(inv)
	require.Len(t, svcs, 3)
	require.Equal(t, "discovered", svcs["svc-02"].Team)
	require.Equal(t, "v0.2.0", svcs["svc-02"].Paved)

	_, err = Run(context.Background(), tf.fleet)
	require.ErrorIs(t, err, fleet.ErrNoForge)
}
