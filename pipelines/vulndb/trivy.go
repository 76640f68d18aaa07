package vulndb

import (
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	tlog "github.com/aquasecurity/trivy/pkg/log"
	xhttp "github.com/aquasecurity/trivy/pkg/x/http"
)

// This file contains the process-wide side effects that importing Trivy has.
//
// Trivy's pkg/log replaces slog's default logger in an init function with a
// handler that buffers every record, forever and without a lock, until
// Trivy's CLI calls log.InitLogger; slog.SetDefault also redirects the
// standard library's log package into that buffer. A library must not do
// that to its host process, so paved undoes it as soon as Trivy is loaded:
// the log package writes to stderr again, and slog's default logger goes to
// a sink that discards unless LogTo names a logger.

func init() { containLogging() }

// sink receives the records of slog's default logger (Trivy logs there).
var sink atomic.Pointer[slog.Logger]

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func containLogging() {
	sink.Store(discard)
	if _, ok := slog.Default().Handler().(*tlog.DeferredHandler); !ok {
		return
	}
	slog.SetDefault(slog.New(forward{}))
	// slog.SetDefault pointed the log package at the slog handler; restore
	// the standard library's own defaults.
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
}

// LogTo sends Trivy's log records (and anything else logged through slog's
// default logger) to l until the returned function is called; nil discards
// them, which is the default.
func LogTo(l *slog.Logger) (restore func()) {
	if l == nil {
		l = discard
	}
	prev := sink.Swap(l)
	return func() { sink.Store(prev) }
}

// forward is slog's default handler while paved runs: it hands each record
// to the current sink.
type forward struct{ attrs []slog.Attr }

func (forward) Enabled(ctx context.Context, l slog.Level) bool {
	return sink.Load().Handler().Enabled(ctx, l)
}

func (f forward) Handle(ctx context.Context, r slog.Record) error {
	h := sink.Load().Handler()
	if len(f.attrs) > 0 {
		h = h.WithAttrs(f.attrs)
	}
	return h.Handle(ctx, r)
}

func (f forward) WithAttrs(attrs []slog.Attr) slog.Handler {
	return forward{attrs: append(append([]slog.Attr{}, f.attrs...), attrs...)}
}

// WithGroup is not supported by Trivy's handlers either; groups are flattened.
func (f forward) WithGroup(string) slog.Handler { return f }

// fixedTransport makes Trivy use one http.RoundTripper, given through the
// context, instead of its process-wide default transport.
type fixedTransport struct{ rt http.RoundTripper }

func (t fixedTransport) Build(...xhttp.TransportOption) http.RoundTripper { return t.rt }

func withTransport(ctx context.Context, rt http.RoundTripper) context.Context {
	return xhttp.WithTransport(ctx, fixedTransport{rt})
}

// WithTrivyTransport returns ctx carrying rt as the HTTP transport of every
// Trivy call made with it, so that no Trivy code falls back to (or changes)
// its process-wide default transport.
func WithTrivyTransport(ctx context.Context, rt http.RoundTripper) context.Context {
	return withTransport(ctx, rt)
}

// timeNow is the clock of Update's final check.
var timeNow = time.Now
