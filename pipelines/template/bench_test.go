package template_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/template"
)

// BenchmarkBuildScanDeploy runs the whole pipeline on go-api against the
// in-process registry and GitOps remote. Every iteration is a new trace,
// so a new digest: a full build, push, SBOM, scan, sign, attest, verify
// and GitOps commit. It reports each step's share of the wall time
// (%-STEP, summing to more than 100 where steps overlap) and seconds.
func BenchmarkBuildScanDeploy(b *testing.B) {
	e := newTestEnv(b)
	cfg := e.config(b)
	ctx := context.Background()
	steps := map[string]float64{}
	var total float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec, err := template.BuildScanDeploy(ctx, cfg, e.options()...)
		require.NoError(b, err)
		total += rec.DurationSeconds
		for _, s := range rec.Steps {
			steps[s.Name] += s.DurationSeconds
		}
	}
	b.StopTimer()
	for name, secs := range steps {
		b.ReportMetric(100*secs/total, "%-"+name)
		b.ReportMetric(secs/float64(b.N), "s-"+name)
	}
	b.ReportMetric(total/float64(b.N), "s-total")
}
