package template

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
)

// recorder is an Observer that keeps the events.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) StepStarted(name string, _ time.Time) { r.add("start " + name) }
func (r *recorder) StepFinished(s record.Step)           { r.add(s.Status + " " + s.Name) }
func (r *recorder) Warn(msg string)                      { r.add("warn " + msg) }
func (r *recorder) add(e string)                         { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }

func newTestRun(t *testing.T) (*run, *tracetest.SpanRecorder, *recorder) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	obs := &recorder{}
	return &run{o: newOptions(nil), rec: &record.Run{}, obs: &lockedObserver{obs: obs}, tracer: tp.Tracer("test")}, sr, obs
}

func TestExecuteRunsIndependentStepsConcurrently(t *testing.T) {
	r, sr, _ := newTestRun(t)
	var inFlight, peak atomic.Int32
	both := make(chan struct{})
	var once sync.Once
	concurrent := func(_ *run, _ context.Context) (record.Outputs, error) {
		n := inFlight.Add(1)
		if n == 2 {
			once.Do(func() { close(both) })
		}
		peak.Store(max(peak.Load(), n))
		// Each waits until the other has started: only concurrency ends it.
		select {
		case <-both:
		case <-time.After(10 * time.Second):
			return record.Outputs{}, errors.New("the other step never started")
		}
		inFlight.Add(-1)
		return record.Outputs{}, nil
	}
	steps := []step{
		{name: "a", run: func(*run, context.Context) (record.Outputs, error) { return record.Outputs{Digest: "sha256:x"}, nil }},
		{name: "b", after: []string{"a"}, run: concurrent},
		{name: "c", after: []string{"a"}, run: concurrent},
		{name: "d", after: []string{"b", "c"}, run: func(*run, context.Context) (record.Outputs, error) { return record.Outputs{}, nil }},
	}
	require.NoError(t, r.execute(context.Background(), steps))
	require.EqualValues(t, 2, peak.Load())
	for _, s := range r.rec.Steps {
		require.Equal(t, record.StatusOK, s.Status, s.Name)
	}
	require.Equal(t, "sha256:x", r.rec.Step("a").Outputs.Digest)
	var spans []string
	for _, s := range sr.Ended() {
		spans = append(spans, s.Name())
	}
	require.ElementsMatch(t, []string{"a", "b", "c", "d"}, spans, "one span per step")
}

func TestExecuteStopsAtTheFailedStep(t *testing.T) {
	r, sr, obs := newTestRun(t)
	ran := map[string]bool{}
	var mu sync.Mutex
	mark := func(name string, err error) func(*run, context.Context) (record.Outputs, error) {
		return func(*run, context.Context) (record.Outputs, error) {
			mu.Lock()
			ran[name] = true
			mu.Unlock()
			return record.Outputs{}, err
		}
	}
	steps := []step{
		{name: "build", run: mark("build", nil)},
		{name: "gate", after: []string{"build"}, run: mark("gate", failure.PolicyErr(errors.New("vulnerability gate failed")))},
		{name: "sign", after: []string{"gate"}, run: mark("sign", nil)},
		{name: "deploy", after: []string{"sign"}, run: mark("deploy", nil)},
	}
	err := r.execute(context.Background(), steps)
	require.EqualError(t, err, "gate: vulnerability gate failed", "wrapped once with the step's name")
	require.Equal(t, failure.Policy, failure.KindOf(err), "the class survives")
	require.Equal(t, map[string]bool{"build": true, "gate": true}, ran)
	require.Equal(t, &record.Failure{Step: "gate", Kind: "policy violation", ExitCode: 3, Message: "vulnerability gate failed"}, r.rec.Failure)
	require.Equal(t, record.StatusFailed, r.rec.Step("gate").Status)
	require.Equal(t, record.StatusSkipped, r.rec.Step("sign").Status)
	require.Equal(t, "an earlier step failed", r.rec.Step("deploy").Reason)
	require.Equal(t, []string{"start build", "ok build", "start gate", "failed gate"}, obs.events)
	require.Len(t, sr.Ended(), 2)
	require.Equal(t, "vulnerability gate failed", sr.Ended()[1].Status().Description)
}

func TestExecuteSkipsOnPurpose(t *testing.T) {
	r, _, _ := newTestRun(t)
	r.o.skipDeploy = true
	steps := []step{
		{name: "verify", run: func(*run, context.Context) (record.Outputs, error) { return record.Outputs{}, nil }},
		{name: "deploy", after: []string{"verify"}, skip: (*run).skipDeploy, run: func(*run, context.Context) (record.Outputs, error) {
			return record.Outputs{}, errors.New("must not run")
		}},
		{name: "record", after: []string{"deploy"}, run: func(*run, context.Context) (record.Outputs, error) { return record.Outputs{}, nil }},
	}
	require.NoError(t, r.execute(context.Background(), steps))
	require.Equal(t, record.StatusSkipped, r.rec.Step("deploy").Status)
	require.Equal(t, "--skip-deploy", r.rec.Step("deploy").Reason)
	require.Equal(t, record.StatusOK, r.rec.Step("record").Status, "dependents of a step skipped on purpose still run")
}

func TestStepsAreAGraphInOrder(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range buildScanDeploy {
		for _, dep := range s.after {
			require.True(t, seen[dep], "%s runs after %s, which must come earlier in the list", s.name, dep)
		}
		seen[s.name] = true
	}
	require.Equal(t, []string{"preflight", "build", "push", "sbom", "scan", "gate", "sign", "attest", "verify", "deploy", "record"}, Steps())
}

func TestOverrideRegistry(t *testing.T) {
	repo, base, err := overrideRegistry("127.0.0.1:5000/services/api", "127.0.0.1:5000/platform/static:1", "127.0.0.1:41234")
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:41234/services/api", repo.String())
	require.Equal(t, "127.0.0.1:41234/platform/static:1", base)
	_, base, err = overrideRegistry("127.0.0.1:5000/services/api", "gcr.io/distroless/static:nonroot", "127.0.0.1:41234")
	require.NoError(t, err)
	require.Equal(t, "gcr.io/distroless/static:nonroot", base, "a base on another registry stays")
}

func TestOverrideBuildArgs(t *testing.T) {
	args := map[string]string{
		"BASE":    "127.0.0.1:5000/platform/python-base:1",
		"OTHER":   "gcr.io/distroless/static:nonroot",
		"VERSION": "1.2.3",
	}
	got := overrideBuildArgs(args, "127.0.0.1:5000/services/api", "127.0.0.1:41234")
	require.Equal(t, map[string]string{
		"BASE":    "127.0.0.1:41234/platform/python-base:1",
		"OTHER":   "gcr.io/distroless/static:nonroot",
		"VERSION": "1.2.3",
	}, got)
	require.Equal(t, "127.0.0.1:5000/platform/python-base:1", args["BASE"], "the configuration is not changed")
	require.Equal(t, args, overrideBuildArgs(args, "127.0.0.1:5000/services/api", ""))
}

// TestExecutePanicIsInternal: a step that panics fails as an internal
// error asking for a report; the run does not crash, and no step after it
// starts.
func TestExecutePanicIsInternal(t *testing.T) {
	r, _, _ := newTestRun(t)
	var after atomic.Bool
	steps := []step{
		{name: "a", run: func(*run, context.Context) (record.Outputs, error) { panic("index out of range [0] with length 0") }},
		{name: "b", after: []string{"a"}, run: func(*run, context.Context) (record.Outputs, error) { after.Store(true); return record.Outputs{}, nil }},
	}
	err := r.execute(context.Background(), steps)
	require.Error(t, err)
	require.Equal(t, failure.Internal, failure.KindOf(err))
	require.Contains(t, err.Error(), "please report")
	var p *failure.Panic
	require.ErrorAs(t, err, &p)
	require.NotEmpty(t, p.Stack)
	require.False(t, after.Load())
	require.Equal(t, 1, r.rec.Failure.ExitCode)
}

// TestExecuteAfterDeployFailureWarns: a step after the deploy that fails
// leaves the run successful (CI must not retry a run that deployed), with
// the step failed and a warning saying the deploy stands.
func TestExecuteAfterDeployFailureWarns(t *testing.T) {
	r, _, obs := newTestRun(t)
	steps := []step{
		{name: "deploy", run: func(*run, context.Context) (record.Outputs, error) { return record.Outputs{GitOpsCommit: "abc"}, nil }},
		{name: "record", after: []string{"deploy"}, afterDeploy: true, run: func(*run, context.Context) (record.Outputs, error) {
			return record.Outputs{}, failure.TransientErr(errors.New("PUT http://registry/v2/x/manifests/y: unexpected status code 503"))
		}},
	}
	require.NoError(t, r.execute(context.Background(), steps))
	require.Nil(t, r.rec.Failure)
	require.Equal(t, record.StatusFailed, r.rec.Steps[1].Status)
	require.Contains(t, r.rec.Steps[1].Error, "503")
	require.Len(t, r.rec.Warnings, 1)
	require.Contains(t, r.rec.Warnings[0], "record failed after the deploy, which stands")
	require.Contains(t, obs.events, "warn "+r.rec.Warnings[0])
}
