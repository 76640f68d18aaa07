package template_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/internal/faultproxy"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
)

// faultScenarios are the registry faults of issue #17: 10% of all
// requests answered 503, and 20% of blob uploads cut in the middle.
var faultScenarios = []struct {
	name   string
	faults faultproxy.Faults
}{
	{"503 on 10% of requests", faultproxy.Faults{Unavailable: 0.10}},
	{"20% of blob uploads cut", faultproxy.Faults{CutUploads: 0.20}},
}

// faultRuns is the outcome of a series of runs through a faulty registry.
type faultRuns struct {
	ok, failed   int
	recordWarned int // ok runs whose record attestation failed (a warning)
	seconds      float64
	failures     []string
	counts       faultproxy.Counts
}

// runThroughFaults runs build-scan-deploy n times on go-api with a
// fault-injecting proxy in front of the registry (a new trace each time, so
// a new digest), then checks with the faults off that no run is
// half-deployed: every run that deployed verifies (signature, SBOM, scan
// and provenance attestations), and a run that failed deployed nothing.
func runThroughFaults(t testing.TB, faults faultproxy.Faults, seed uint64, n int) faultRuns {
	e := newTestEnv(t)
	proxy, err := faultproxy.New("http://"+e.host, faults, seed)
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	// The policy and the GitOps repository name the registry on the
	// proxy's address, where every run pulls and pushes.
	writeFile(t, filepath.Join(e.repo, "examples", "policy.yaml"),
		"apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\""+proxy.Host+"/platform/*\"]\n")
	commitAll(t, e.repo, "")
	gitops := filepath.Join(t.TempDir(), "gitops.git")
	newGitOpsRemote(t, gitops, proxy.Host+"/services/go-api")
	cfg := e.config(t)

	var out faultRuns
	deployed := map[string]bool{}
	for i := range n {
		rec, err := template.BuildScanDeploy(context.Background(), cfg, e.options(
			template.WithRegistry(proxy.Host), template.WithGitOpsRepo(gitops), template.WithRunID(fmt.Sprintf("fault-%d", i)))...)
		out.seconds += rec.DurationSeconds
		if err != nil {
			out.failed++
			out.failures = append(out.failures, err.Error())
			// A failure after retries is transient, names the request and
			// how often it was tried; it never happens at or after deploy.
			require.Equal(t, failure.Transient, failure.KindOf(err), err.Error())
			require.Contains(t, err.Error(), fmt.Sprintf("tried %d times", oci.Retry.Steps))
			require.NotEqual(t, template.StepDeploy, rec.Failure.Step, "a run failed at its deploy: %v", err)
			continue
		}
		out.ok++
		if rec.Step(template.StepRunRecord).Status == record.StatusFailed {
			out.recordWarned++
		}
		deployed[rec.Image] = true
		files, _ := gitopsState(t, gitops)
		var v deploy.Versions
		require.NoError(t, yaml.Unmarshal([]byte(files[deploy.VersionsFile]), &v))
		require.Equal(t, rec.Image, v.Get("go-api", "dev").Image, "run %d succeeded without deploying its image", i)
	}
	out.counts = proxy.Counts()

	// With the faults off: every deployed digest carries its evidence, and
	// the GitOps history holds exactly the runs that succeeded.
	proxy.Set(faultproxy.Faults{})
	for img := range deployed {
		ref, err := name.NewDigest(img)
		require.NoError(t, err)
		_, err = sign.Verify(context.Background(), ref, sign.VerifyOptions{Key: e.keys.PublicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance}})
		require.NoError(t, err, "deployed %s is not fully signed and attested", img)
	}
	_, log := gitopsState(t, gitops)
	require.Len(t, log, 1+out.ok, "one GitOps commit per run that succeeded, none for a failed one")
	for _, c := range log[:out.ok] {
		require.True(t, deployed[imageOfCommit(t, c.Message)], "commit %s deploys an image no successful run produced", c.Hash)
	}
	return out
}

// imageOfCommit returns the REPO@DIGEST a bump commit's message names.
func imageOfCommit(t testing.TB, msg string) string {
	for _, f := range strings.Fields(msg) {
		if strings.Contains(f, "@sha256:") {
			return strings.Trim(f, "()`'\",")
		}
	}
	t.Fatalf("no image in commit message %q", msg)
	return ""
}

// TestBuildScanDeployUnderFaults: 20 runs at 10% 503 and 20 runs with 20%
// of blob uploads cut mid-body; at least 19 of each complete, and none is
// half-deployed.
func TestBuildScanDeployUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("40 pipeline runs")
	}
	for i, sc := range faultScenarios {
		t.Run(sc.name, func(t *testing.T) {
			// The two series overlap their retries' waits.
			t.Parallel()
			start := time.Now()
			r := runThroughFaults(t, sc.faults, uint64(17+i), 20)
			t.Logf("%d/20 completed (%d with a record warning) in %s; proxy: %+v; failures: %q", r.ok, r.recordWarned, time.Since(start).Round(time.Second), r.counts, r.failures)
			require.Positive(t, r.counts.Unavailable+r.counts.CutUploads, "the proxy injected no fault")
			require.GreaterOrEqual(t, r.ok, 19, "failures: %q", r.failures)
		})
	}
}

// retryConfigs are the retries BenchmarkBuildScanDeployUnderFaults
// compares: paved's, and go-containerregistry's defaults, which crane and
// ko use (3 tries, 1 s then 3 s, no 429).
var retryConfigs = []struct {
	name    string
	backoff remote.Backoff
	codes   []int
}{
	{"paved", oci.Retry, oci.RetryStatusCodes},
	{"ggcr-default", remote.Backoff{Duration: time.Second, Factor: 3, Jitter: 0.1, Steps: 3}, []int{408, 500, 502, 503, 504, 499, 522}},
}

// BenchmarkBuildScanDeployUnderFaults gives the figures of the fault test
// for make bench: each series is 20 runs through the fault-injecting proxy,
// with paved's retries and with go-containerregistry's defaults; it reports
// the runs that completed (of 20) and the seconds per run. Run it with
// -benchtime 1x.
func BenchmarkBuildScanDeployUnderFaults(b *testing.B) {
	for i, sc := range faultScenarios {
		for _, rc := range retryConfigs {
			b.Run(sc.name+"/"+rc.name, func(b *testing.B) {
				saved, savedCodes := oci.Retry, oci.RetryStatusCodes
				b.Cleanup(func() { oci.Retry, oci.RetryStatusCodes = saved, savedCodes })
				oci.Retry, oci.RetryStatusCodes = rc.backoff, rc.codes
				var ok, runs int
				var seconds float64
				for range b.N {
					r := runThroughFaults(b, sc.faults, uint64(17+i), 20)
					ok, runs, seconds = ok+r.ok, runs+20, seconds+r.seconds
				}
				b.ReportMetric(20*float64(ok)/float64(runs), "completed/20")
				b.ReportMetric(seconds/float64(runs), "s/run")
			})
		}
	}
}
