package record

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRun(t *testing.T) {
	// The run record paved run writes (Run).
	rec := `{"schemaVersion": "paved.dev/run-record/v1", "pipeline": "build-scan-deploy", "pavedVersion": "v0.3.0",
	  "service": "go-api", "source": {"repository": "x", "revision": "0123456789abcdef0123456789abcdef01234567"},
	  "runId": "r1", "traceId": "t", "status": "failed",
	  "failure": {"step": "gate", "kind": "policy violation", "exitCode": 3, "message": "1 HIGH finding"},
	  "startedAt": "2026-11-02T10:00:00Z", "finishedAt": "2026-11-02T10:05:00Z", "durationSeconds": 300,
	  "steps": [{"name": "build", "status": "ok", "durationSeconds": 1, "outputs": {"bases": ["r/python-base@sha256:aa"]}},
	            {"name": "gate", "status": "failed", "durationSeconds": 0, "error": "1 HIGH finding"}]}`
	got, err := ParseRun("r.json", []byte(rec))
	require.NoError(t, err)
	require.Equal(t, RunStatus{SchemaVersion: Schema, Commit: "0123456789abcdef0123456789abcdef01234567", PavedVersion: "v0.3.0",
		Status: "failed", Step: "gate", Message: "1 HIGH finding", Bases: []string{"r/python-base@sha256:aa"},
		FinishedAt: time.Date(2026, 11, 2, 10, 5, 0, 0, time.UTC)}, got)
	_, err = ParseRun("x.json", []byte(`{"schemaVersion": "v9"}`))
	require.ErrorContains(t, err, "want paved.dev/run-status/v1")
}
