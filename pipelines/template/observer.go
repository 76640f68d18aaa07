package template

import (
	"sync"
	"time"

	"github.com/paved-dev/paved/pipelines/record"
)

// lockedObserver serialises calls to an Observer: steps run concurrently
// and may warn while the runner reports another step.
type lockedObserver struct {
	mu  sync.Mutex
	obs Observer
}

func (l *lockedObserver) StepStarted(name string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.StepStarted(name, at)
}

func (l *lockedObserver) StepFinished(rec record.Step) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.StepFinished(rec)
}

func (l *lockedObserver) Warn(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.Warn(msg)
}
