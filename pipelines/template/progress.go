package template

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/paved-dev/paved/pipelines/record"
)

// Steps returns the names of build-scan-deploy's steps, in order.
func Steps() []string {
	names := make([]string, len(buildScanDeploy))
	for i, s := range buildScanDeploy {
		names[i] = s.name
	}
	return names
}

// LineView prints one timestamped line per event: the view for CI logs
// and anything that is not a terminal.
type LineView struct {
	w   io.Writer
	now func() time.Time
}

// NewLineView returns a LineView writing to w.
func NewLineView(w io.Writer) *LineView { return &LineView{w: w, now: time.Now} }

func (v *LineView) stamp() string { return v.now().UTC().Format(time.RFC3339) }

// StepStarted implements Observer.
func (v *LineView) StepStarted(name string, _ time.Time) {
	fmt.Fprintf(v.w, "%s %-9s started\n", v.stamp(), name)
}

// StepFinished implements Observer.
func (v *LineView) StepFinished(rec record.Step) {
	switch rec.Status {
	case record.StatusSkipped:
		fmt.Fprintf(v.w, "%s %-9s skipped: %s\n", v.stamp(), rec.Name, orDefault(rec.Reason, "not run"))
	case record.StatusFailed:
		fmt.Fprintf(v.w, "%s %-9s failed after %.2fs: %s\n", v.stamp(), rec.Name, rec.DurationSeconds, rec.Error)
	default:
		fmt.Fprintf(v.w, "%s %-9s ok in %.2fs%s\n", v.stamp(), rec.Name, rec.DurationSeconds, summary(rec.Outputs))
	}
}

// Warn implements Observer.
func (v *LineView) Warn(msg string) { fmt.Fprintf(v.w, "%s warning: %s\n", v.stamp(), msg) }

// LiveView redraws a table of the steps on a terminal, with a running
// clock for the steps in progress. Stop it when the run ends.
type LiveView struct {
	mu       sync.Mutex
	w        io.Writer
	names    []string
	lines    map[string]string
	started  map[string]time.Time
	warnings []string
	drawn    int
	stop     chan struct{}
	done     chan struct{}
}

// NewLiveView starts a LiveView of the steps names on w.
func NewLiveView(w io.Writer, names []string) *LiveView {
	v := &LiveView{w: w, names: names, lines: map[string]string{}, started: map[string]time.Time{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go v.tick()
	return v
}

func (v *LiveView) tick() {
	defer close(v.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.mu.Lock()
			v.draw()
			v.mu.Unlock()
		}
	}
}

// Stop draws the final state and stops the clock.
func (v *LiveView) Stop() {
	close(v.stop)
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	v.draw()
}

// StepStarted implements Observer.
func (v *LiveView) StepStarted(name string, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.started[name] = at
	v.draw()
}

// StepFinished implements Observer.
func (v *LiveView) StepFinished(rec record.Step) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.started, rec.Name)
	switch rec.Status {
	case record.StatusSkipped:
		v.lines[rec.Name] = fmt.Sprintf("  -  %-9s skipped (%s)", rec.Name, orDefault(rec.Reason, "not run"))
	case record.StatusFailed:
		v.lines[rec.Name] = fmt.Sprintf("  ✗  %-9s %6.2fs  %s", rec.Name, rec.DurationSeconds, firstLine(rec.Error, 100))
	default:
		v.lines[rec.Name] = fmt.Sprintf("  ✓  %-9s %6.2fs %s", rec.Name, rec.DurationSeconds, summary(rec.Outputs))
	}
	v.draw()
}

// Warn implements Observer.
func (v *LiveView) Warn(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.warnings = append(v.warnings, msg)
	v.draw()
}

// draw moves the cursor back over the last drawing and writes the table
// again. The caller holds mu.
func (v *LiveView) draw() {
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.drawn)
	}
	lines := 0
	for _, w := range v.warnings {
		fmt.Fprintf(&b, "\x1b[2K  !  warning: %s\n", firstLine(w, 120))
		lines++
	}
	for _, n := range v.names {
		line, ok := v.lines[n]
		switch at, running := v.started[n]; {
		case running:
			line = fmt.Sprintf("  …  %-9s %6.1fs", n, time.Since(at).Seconds())
		case !ok:
			line = fmt.Sprintf("  ·  %s", n)
		}
		fmt.Fprintf(&b, "\x1b[2K%s\n", line)
		lines++
	}
	v.drawn = lines
	io.WriteString(v.w, b.String())
}

// summary is a step's outputs in a few words.
func summary(o record.Outputs) string {
	var parts []string
	add := func(cond bool, format string, args ...any) {
		if cond {
			parts = append(parts, fmt.Sprintf(format, args...))
		}
	}
	add(o.Reference != "", "%s", o.Reference)
	add(o.Reference == "" && o.Digest != "", "%s", o.Digest)
	add(o.SBOMDigest != "", "%d packages", o.Packages)
	if o.Findings != nil {
		parts = append(parts, fmt.Sprintf("findings C:%d H:%d M:%d L:%d", o.Findings["CRITICAL"], o.Findings["HIGH"], o.Findings["MEDIUM"], o.Findings["LOW"]))
	}
	add(o.GatePassed != nil && *o.GatePassed, "passed")
	add(len(o.Attestations) > 0, "%d attestation(s)", len(o.Attestations))
	add(o.Signature != "" && len(o.Attestations) == 0, "%s", o.Signature)
	add(o.Verified > 0, "%d signature(s) verified", o.Verified)
	add(o.GitOpsCommit != "", "commit %s", short(o.GitOpsCommit))
	add(o.GitOpsChanged != nil && !*o.GitOpsChanged, "already deployed")
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, ", ")
}

func short(h string) string { return h[:min(12, len(h))] }

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
