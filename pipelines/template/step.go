package template

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/redact"
)

// step is one step of a pipeline. A step does not prefix its errors with
// its name: the runner does, once.
type step struct {
	name string
	// after lists the steps that must have finished (ok or skipped on
	// purpose) before this one starts; steps with no unmet dependency
	// run concurrently.
	after []string
	// skip, when it returns a reason, skips the step on purpose: its
	// dependents still run.
	skip func(r *run) string
	// afterDeploy marks a step that runs once the deploy is done: its
	// failure is recorded and warned about, and the run still succeeds, so
	// that CI does not retry (and deploy again) a run that deployed.
	afterDeploy bool
	// run does the work and returns the step's outputs for the record;
	// its typed results go into r's fields.
	run func(r *run, ctx context.Context) (record.Outputs, error)
}

// Observer is told about a run's progress; the CLI's views implement it.
// Calls come from one goroutine at a time.
type Observer interface {
	// StepStarted is called when a step starts.
	StepStarted(name string, at time.Time)
	// StepFinished is called when a step ends (ok, failed or skipped).
	StepFinished(rec record.Step)
	// Warn reports a warning that does not stop the run.
	Warn(msg string)
}

type done struct {
	i   int
	out record.Outputs
	err error
	end time.Time
}

// execute runs steps as a graph: every step whose dependencies finished
// starts at once. After a failure no new step starts; the steps already
// running finish, and those never started are recorded as skipped. It
// returns the first failure, wrapped with the step's name and keeping its
// class.
func (r *run) execute(ctx context.Context, steps []step) error {
	state := make([]string, len(steps)) // "", running, or a final status
	index := map[string]int{}
	for i, s := range steps {
		index[s.name] = i
		r.rec.Steps = append(r.rec.Steps, record.Step{Name: s.name, Status: record.StatusSkipped})
	}
	results := make(chan done)
	running := 0
	var first error
	for {
		for i, s := range steps {
			if first != nil || state[i] != "" || !ready(s, state, index) {
				continue
			}
			if reason := skipReason(s, r); reason != "" {
				state[i] = record.StatusSkipped
				r.rec.Steps[i].Reason = reason
				r.obs.StepFinished(r.rec.Steps[i])
				continue
			}
			state[i] = "running"
			running++
			start := time.Now()
			r.rec.Steps[i].StartedAt = utc(start)
			r.obs.StepStarted(s.name, start)
			go func(i int, s step) {
				sctx, span := r.tracer.Start(ctx, s.name)
				out, err := s.call(r, sctx)
				if err != nil {
					span.RecordError(err)
					span.SetStatus(codes.Error, err.Error())
				}
				span.End()
				results <- done{i: i, out: out, err: err, end: time.Now()}
			}(i, s)
		}
		if running == 0 {
			break
		}
		d := <-results
		running--
		if err := r.finish(steps[d.i], &r.rec.Steps[d.i], d); err != nil && first == nil {
			first = err
		}
		state[d.i] = r.rec.Steps[d.i].Status
	}
	for i := range steps {
		if state[i] == "" && first != nil {
			r.rec.Steps[i].Reason = "an earlier step failed"
		}
	}
	return first
}

// finish records a finished step and returns its error wrapped once with
// the step's name. The failure of an afterDeploy step is a warning, and
// no error.
func (r *run) finish(s step, sr *record.Step, d done) error {
	sr.FinishedAt = utc(d.end)
	sr.DurationSeconds = d.end.Sub(*sr.StartedAt).Seconds()
	sr.Outputs = d.out
	sr.Status = record.StatusOK
	var err error
	if d.err != nil {
		err = fmt.Errorf("%s: %w", s.name, redact.Error(d.err))
		msg := redact.Text(d.err.Error())
		sr.Status, sr.Error = record.StatusFailed, msg
		if s.afterDeploy {
			r.obs.StepFinished(*sr)
			r.warn(fmt.Sprintf("%s failed after the deploy, which stands (the run record is kept in %s): %s", s.name, record.File, msg))
			return nil
		}
		k := failure.KindOf(err)
		r.rec.Failure = &record.Failure{Step: s.name, Kind: k.String(), ExitCode: failure.ExitCode(k), Message: msg}
	}
	r.obs.StepFinished(*sr)
	return err
}

// call runs the step; a panic in it is an internal failure of the step,
// not a crash of the run.
func (s step) call(r *run, ctx context.Context) (out record.Outputs, err error) {
	defer failure.Recover(&err)
	return s.run(r, ctx)
}

func ready(s step, state []string, index map[string]int) bool {
	for _, dep := range s.after {
		if st := state[index[dep]]; st != record.StatusOK && st != record.StatusSkipped {
			return false
		}
	}
	return true
}

func skipReason(s step, r *run) string {
	if s.skip == nil {
		return ""
	}
	return s.skip(r)
}

func utc(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// traceID returns the trace id of ctx's span, or "".
func traceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}
