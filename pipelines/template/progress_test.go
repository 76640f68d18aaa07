package template

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/record"
)

func TestLineView(t *testing.T) {
	var b bytes.Buffer
	v := NewLineView(&b)
	v.now = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }
	passed := true
	v.StepStarted("gate", time.Now())
	v.StepFinished(record.Step{Name: "gate", Status: record.StatusOK, DurationSeconds: 0.5, Outputs: record.Outputs{GatePassed: &passed}})
	v.StepFinished(record.Step{Name: "deploy", Status: record.StatusSkipped, Reason: "--skip-deploy"})
	v.StepFinished(record.Step{Name: "scan", Status: record.StatusFailed, DurationSeconds: 1, Error: "reading SBOM"})
	v.Warn("paved v1.5.0 is deprecated")
	require.Equal(t, `2026-11-22T10:00:00Z gate      started
2026-11-22T10:00:00Z gate      ok in 0.50s  passed
2026-11-22T10:00:00Z deploy    skipped: --skip-deploy
2026-11-22T10:00:00Z scan      failed after 1.00s: reading SBOM
2026-11-22T10:00:00Z warning: paved v1.5.0 is deprecated
`, b.String())
}

func TestLiveView(t *testing.T) {
	var b bytes.Buffer
	v := NewLiveView(&b, []string{"build", "push"})
	v.StepStarted("build", time.Now())
	v.StepFinished(record.Step{Name: "build", Status: record.StatusOK, DurationSeconds: 1.25, Outputs: record.Outputs{Digest: "sha256:abc"}})
	v.Stop()
	out := b.String()
	require.Contains(t, out, "  ✓  build       1.25s   sha256:abc\n")
	require.Contains(t, out, "  ·  push\n")
	require.Contains(t, out, "\x1b[2A", "redraws over the previous table")
	last := out[strings.LastIndex(out, "\x1b[2A"):]
	require.NotContains(t, last, "…", "the final table shows no running step")
}
