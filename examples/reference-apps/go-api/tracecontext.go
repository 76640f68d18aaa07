package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
)

// W3C Trace Context and X-Request-ID propagation for go-api: every request
// gets the trace id of a valid incoming traceparent, or a new one; go-api
// answers, and calls python-api, with its own span id under that trace id.

var (
	traceparentRE = regexp.MustCompile(`^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$`)
	requestIDRE   = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
)

// traceContext is the trace of one request: the trace id, go-api's own span
// id, the caller's span id (empty when the trace starts here), the flags and
// the request id.
type traceContext struct {
	traceID, spanID, parentID, flags, requestID string
}

// parseTraceparent returns the trace id, parent span id and flags of a valid
// traceparent header. All-zero ids and version ff are invalid; version 00
// has no further fields.
func parseTraceparent(v string) (traceID, parentID, flags string, ok bool) {
	m := traceparentRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(v)))
	if m == nil {
		return "", "", "", false
	}
	version, rest := m[1], m[5]
	if version == "ff" || allZero(m[2]) || allZero(m[3]) || (version == "00" && rest != "") {
		return "", "", "", false
	}
	return m[2], m[3], m[4], true
}

func allZero(s string) bool { return strings.Trim(s, "0") == "" }

// fromHeaders returns the trace context of a request with header h: the
// incoming trace and request id when valid, new ones otherwise, and always
// a new span id.
func fromHeaders(h http.Header) traceContext {
	tc := traceContext{spanID: randomHex(8), flags: "01"}
	if traceID, parentID, flags, ok := parseTraceparent(h.Get("traceparent")); ok {
		tc.traceID, tc.parentID, tc.flags = traceID, parentID, flags
	} else {
		tc.traceID = randomHex(16)
	}
	tc.requestID = h.Get("X-Request-ID")
	if !requestIDRE.MatchString(tc.requestID) {
		tc.requestID = randomHex(8)
	}
	return tc
}

// traceparent is the header for responses and downstream calls.
func (tc traceContext) traceparent() string {
	return "00-" + tc.traceID + "-" + tc.spanID + "-" + tc.flags
}

// setHeaders puts tc's traceparent and X-Request-ID on h.
func (tc traceContext) setHeaders(h http.Header) {
	h.Set("traceparent", tc.traceparent())
	h.Set("X-Request-ID", tc.requestID)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b)
}

type ctxKey struct{}

type requestState struct {
	trace traceContext
	log   *slog.Logger
}

// withTrace wraps next: each request gets a trace context, answers with its
// traceparent and X-Request-ID, and carries a logger whose every line has
// trace_id, span_id and request_id. It logs one "request" line per request.
func withTrace(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tc := fromHeaders(r.Header)
		reqLog := log.With("trace_id", tc.traceID, "span_id", tc.spanID, "request_id", tc.requestID)
		tc.setHeaders(w.Header())
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		ctx := context.WithValue(r.Context(), ctxKey{}, requestState{trace: tc, log: reqLog})
		next.ServeHTTP(rec, r.WithContext(ctx))
		reqLog.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "parent_id", tc.parentID)
	})
}

// requestFrom returns the trace context and logger withTrace put into ctx;
// outside withTrace, a new trace and fallback.
func requestFrom(ctx context.Context, fallback *slog.Logger) (traceContext, *slog.Logger) {
	if st, ok := ctx.Value(ctxKey{}).(requestState); ok {
		return st.trace, st.log
	}
	tc := fromHeaders(http.Header{})
	return tc, fallback.With("trace_id", tc.traceID, "span_id", tc.spanID, "request_id", tc.requestID)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
