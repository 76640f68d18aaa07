package campaign

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/pipelines/record"
)

const (
	oldWorkflow = "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.2.0 # CI\n"
	newWorkflow = "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.3.0 # CI\n"
	oldGitLab   = "include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@0.2.0\n"
	oldMakefile = "ci:\n\tdagger call -m github.com/paved-dev/paved@v0.2.0 build-scan-deploy --source .\n"
)

// serviceFiles are the files of generated service i: three shapes of
// wrapper in turn, every one on python-base:1.0 or 1.1.
func serviceFiles(i int) map[string]string {
	files := map[string]string{"README.md": fmt.Sprintf("# svc-%03d\n", i)}
	switch i % 3 {
	case 0:
		files[".github/workflows/paved.yml"] = oldWorkflow
	case 1:
		files[".gitlab-ci.yml"] = oldGitLab
	default:
		files["Makefile"] = oldMakefile
	}
	files["Dockerfile"] = fmt.Sprintf("FROM registry.example.com/platform/python-base:1.%d\nCOPY app /app\n", i%2)
	return files
}

// wrapperFile is the file of service i that pins paved, with its old and
// new contents.
func wrapperFile(i int) (string, string, string) {
	switch i % 3 {
	case 0:
		return ".github/workflows/paved.yml", oldWorkflow, newWorkflow
	case 1:
		return ".gitlab-ci.yml", oldGitLab, "include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@0.3.0\n"
	}
	return "Makefile", oldMakefile, "ci:\n\tdagger call -m github.com/paved-dev/paved@v0.3.0 build-scan-deploy --source .\n"
}

// testFleet is n generated service repositories svc-000… and a state
// repository.
type testFleet struct {
	dir      string
	state    *fleettest.Repo
	repos    []*fleettest.Repo
	first    []string // each repository's first commit
	services []fleet.Service
}

func newTestFleet(tb testing.TB, n int) *testFleet {
	tb.Helper()
	dir := tb.TempDir()
	tf := &testFleet{dir: dir, state: fleettest.NewRepo(tb, dir, "state", map[string]string{"README.md": "campaign state\n"})}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%03d", i)
		r := fleettest.NewRepo(tb, filepath.Join(dir, "repos"), name, serviceFiles(i))
		tf.repos = append(tf.repos, r)
		tf.first = append(tf.first, fleettest.Tip(tb, r.Dir, "main"))
		tf.services = append(tf.services, fleet.Service{Repository: r.Dir, Name: name, Tier: fmt.Sprint(i % 2)})
	}
	return tf
}

func (tf *testFleet) store() *GitStore {
	return NewGitStore(tf.state.Dir, "", nil, gitrepo.Signature{Name: "paved-test"})
}

// report commits a run record to service i's main branch, for its current
// tip, as the CI wrapper would after running paved version.
func (tf *testFleet) report(tb testing.TB, i int, version, status, step string) {
	tb.Helper()
	dir := tf.repos[i].Dir
	commit := fleettest.Tip(tb, dir, "main")
	rec := record.RunStatus{SchemaVersion: record.RunStatusSchema, Commit: commit, PavedVersion: version, Status: status, FinishedAt: time.Now().UTC()}
	if status != "ok" {
		rec.Step, rec.Message = step, "2 CRITICAL vulnerabilities"
	}
	data, err := json.Marshal(rec)
	require.NoError(tb, err)
	fleettest.Append(tb, dir, "main", "ci: run record", map[string]string{RunsDir + "/" + commit + ".json": string(data)})
}

func serviceOf(name, repo string) fleet.Service { return fleet.Service{Name: name, Repository: repo} }

// newTestFleetServices lists n services s0… without repositories, tier
// i%2.
func newTestFleetServices(n int) []fleet.Service {
	var out []fleet.Service
	for i := n - 1; i >= 0; i-- {
		out = append(out, fleet.Service{Name: fmt.Sprintf("s%d", i), Repository: fmt.Sprintf("/r/s%d", i), Tier: fmt.Sprint(i % 2)})
	}
	return out
}
