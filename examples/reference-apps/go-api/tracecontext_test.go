package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	incoming   = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	incomingID = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpan = "00f067aa0ba902b7"
)

var (
	outgoingRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$`)
	hex16RE    = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

func TestParseTraceparent(t *testing.T) {
	tests := []struct {
		name, header        string
		wantTrace, wantFlag string
		wantOK              bool
	}{
		{"valid", incoming, incomingID, "01", true},
		{"uppercase is read", strings.ToUpper(incoming), incomingID, "01", true},
		{"flags kept", "00-" + incomingID + "-" + parentSpan + "-00", incomingID, "00", true},
		{"empty", "", "", "", false},
		{"zero trace id", "00-" + strings.Repeat("0", 32) + "-" + parentSpan + "-01", "", "", false},
		{"zero parent id", "00-" + incomingID + "-" + strings.Repeat("0", 16) + "-01", "", "", false},
		{"version ff", "ff" + incoming[2:], "", "", false},
		{"short trace id", "00-4bf92f3577b34da6a3ce929d0e0e47-" + parentSpan + "-01", "", "", false},
		{"not hex", "00-" + strings.Repeat("g", 32) + "-" + parentSpan + "-01", "", "", false},
		{"version 00 with extra field", incoming + "-extra", "", "", false},
		{"future version with extra field", "01" + incoming[2:] + "-extra", incomingID, "01", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			traceID, parentID, flags, ok := parseTraceparent(tc.header)
			if ok != tc.wantOK || traceID != tc.wantTrace || flags != tc.wantFlag {
				t.Fatalf("parseTraceparent(%q) = %q, %q, %q, %v; want %q, %q, %v", tc.header, traceID, parentID, flags, ok, tc.wantTrace, tc.wantFlag, tc.wantOK)
			}
			if ok && parentID != parentSpan {
				t.Fatalf("parent id %q, want %q", parentID, parentSpan)
			}
		})
	}
}

func FuzzParseTraceparent(f *testing.F) {
	f.Add(incoming)
	f.Add("01" + incoming[2:] + "-extra")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		traceID, parentID, flags, ok := parseTraceparent(header)
		if !ok {
			return
		}
		out := "00-" + traceID + "-" + parentID + "-" + flags
		if !outgoingRE.MatchString(out) || allZero(traceID) || allZero(parentID) {
			t.Fatalf("accepted %q as %q", header, out)
		}
	})
}

// logBuffer collects the JSON log lines of a server, safe for its goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, rec)
	}
	return out
}

// downstream is a fake python-api that records the headers of each call.
type downstream struct {
	mu      sync.Mutex
	calls   []http.Header
	queries []string
}

func (d *downstream) handler(reply func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.calls = append(d.calls, r.Header.Clone())
		d.queries = append(d.queries, r.URL.Path+"?"+r.URL.RawQuery)
		d.mu.Unlock()
		reply(w, r)
	})
}

func fortuneOK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"fortune":"Digests, not tags.","lang":"en"}`)
}

// tracedServer starts go-api with its logs in a buffer, calling pythonAPI.
func tracedServer(t *testing.T, opts options) (*httptest.Server, *logBuffer) {
	t.Helper()
	g, err := loadGreetings("greetings.json")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	srv := httptest.NewServer(newServer(g, slog.New(slog.NewJSONHandler(logs, nil)), opts))
	t.Cleanup(srv.Close)
	return srv, logs
}

func getGreeting(t *testing.T, url string, headers map[string]string) (*http.Response, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/greeting?name=Ada", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "de")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestTracePropagation(t *testing.T) {
	tests := []struct {
		name          string
		headers       map[string]string
		wantTraceID   string // empty: a new trace
		wantRequestID string // empty: a new request id
		wantParentID  string
	}{
		{"given traceparent and request id are kept", map[string]string{"traceparent": incoming, "X-Request-ID": "req-1"}, incomingID, "req-1", parentSpan},
		{"malformed traceparent starts a trace", map[string]string{"traceparent": "00-4bf92f35-00f067aa0ba902b7-01", "X-Request-ID": "req-2"}, "", "req-2", ""},
		{"all-zero trace id starts a trace", map[string]string{"traceparent": "00-" + strings.Repeat("0", 32) + "-" + parentSpan + "-01"}, "", "", ""},
		{"no headers: new trace and request id", nil, "", "", ""},
		{"invalid request id is replaced", map[string]string{"traceparent": incoming, "X-Request-ID": "bad id with spaces"}, incomingID, "", parentSpan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			py := &downstream{}
			pySrv := httptest.NewServer(py.handler(fortuneOK))
			t.Cleanup(pySrv.Close)
			srv, logs := tracedServer(t, options{pythonAPI: pySrv.URL + "/"})

			resp, body := getGreeting(t, srv.URL, tc.headers)
			if resp.StatusCode != http.StatusOK || body["fortune"] != "Digests, not tags." || body["greeting"] != "Hallo, Ada!" {
				t.Fatalf("status %d, body %v", resp.StatusCode, body)
			}
			m := outgoingRE.FindStringSubmatch(resp.Header.Get("traceparent"))
			if m == nil {
				t.Fatalf("response traceparent %q", resp.Header.Get("traceparent"))
			}
			traceID, spanID := m[1], m[2]
			requestID := resp.Header.Get("X-Request-ID")
			if tc.wantTraceID != "" && traceID != tc.wantTraceID {
				t.Fatalf("trace id %q, want %q", traceID, tc.wantTraceID)
			}
			if tc.wantTraceID == "" && (traceID == incomingID || allZero(traceID)) {
				t.Fatalf("trace id %q, want a new one", traceID)
			}
			if spanID == parentSpan {
				t.Fatal("go-api answered with its caller's span id, want its own")
			}
			if tc.wantRequestID != "" && requestID != tc.wantRequestID {
				t.Fatalf("X-Request-ID %q, want %q", requestID, tc.wantRequestID)
			}
			if tc.wantRequestID == "" && !hex16RE.MatchString(requestID) {
				t.Fatalf("X-Request-ID %q, want a new 16-hex id", requestID)
			}

			py.mu.Lock()
			if len(py.calls) != 1 {
				t.Fatalf("python-api got %d calls, want 1", len(py.calls))
			}
			if py.queries[0] != "/api/fortune?lang=de" {
				t.Fatalf("python-api got %q", py.queries[0])
			}
			if got, want := py.calls[0].Get("traceparent"), "00-"+traceID+"-"+spanID+"-01"; got != want {
				t.Fatalf("python-api got traceparent %q, want %q", got, want)
			}
			if got := py.calls[0].Get("X-Request-ID"); got != requestID {
				t.Fatalf("python-api got X-Request-ID %q, want %q", got, requestID)
			}
			py.mu.Unlock()

			requireLogs(t, logs.lines(t), traceID, spanID, requestID, tc.wantParentID, "greeting", "request")
		})
	}
}

// requireLogs checks that every log line carries the request's trace, span
// and request id, that msgs were logged and the request line names the parent.
func requireLogs(t *testing.T, lines []map[string]any, traceID, spanID, requestID, parentID string, msgs ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range lines {
		if line["trace_id"] != traceID || line["span_id"] != spanID || line["request_id"] != requestID {
			t.Fatalf("log line %v, want trace_id %s, span_id %s, request_id %s", line, traceID, spanID, requestID)
		}
		msg, _ := line["msg"].(string)
		seen[msg] = true
		if msg == "request" && line["parent_id"] != parentID {
			t.Fatalf("request line %v, want parent_id %q", line, parentID)
		}
	}
	for _, msg := range msgs {
		if !seen[msg] {
			t.Fatalf("no %q log line in %v", msg, lines)
		}
	}
}

func TestFortuneFailure(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name    string
		reply   func(w http.ResponseWriter, r *http.Request) // nil: python-api is not listening
		timeout time.Duration
		wantErr string
	}{
		{"python-api answers 500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }, fortuneTimeout, "answered 500: boom"},
		{"python-api answers 400", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, `{"error":"unknown lang"}`, 400) }, fortuneTimeout, "answered 400"},
		{"invalid JSON", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "<html>") }, fortuneTimeout, "parsing python-api's answer"},
		{"no fortune field", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"lang":"en"}`) }, fortuneTimeout, "without a fortune"},
		{"python-api is down", nil, fortuneTimeout, "calling python-api"},
		{"python-api too slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 20 * time.Millisecond, "context deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := closed.URL
			if tc.reply != nil {
				py := httptest.NewServer(http.HandlerFunc(tc.reply))
				t.Cleanup(py.Close)
				url = py.URL
			}
			g, err := loadGreetings("greetings.json")
			if err != nil {
				t.Fatal(err)
			}
			logs := &logBuffer{}
			// The timeout is go-api's 2 s in production; shortened for "too slow".
			srv := httptest.NewServer(newServer(g, slog.New(slog.NewJSONHandler(logs, nil)), options{pythonAPI: url, timeout: tc.timeout}))
			t.Cleanup(srv.Close)

			resp, body := getGreeting(t, srv.URL, map[string]string{"traceparent": incoming, "X-Request-ID": "req-9"})
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status %d, want 502; body %v", resp.StatusCode, body)
			}
			if !strings.Contains(body["error"], tc.wantErr) || body["greeting"] != "" {
				t.Fatalf("body %v, want an error with %q", body, tc.wantErr)
			}
			m := outgoingRE.FindStringSubmatch(resp.Header.Get("traceparent"))
			if m == nil || m[1] != incomingID {
				t.Fatalf("response traceparent %q", resp.Header.Get("traceparent"))
			}
			requireLogs(t, logs.lines(t), incomingID, m[2], "req-9", parentSpan, "python-api failed", "request")
		})
	}
}

// recordingTransport fails any request: go-api must not call out.
type recordingTransport struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, req.URL.String())
	return nil, errors.New("no call expected")
}

func TestNoPythonAPIURL(t *testing.T) {
	rt := &recordingTransport{}
	srv, logs := tracedServer(t, options{client: &http.Client{Transport: rt}})
	resp, body := getGreeting(t, srv.URL, map[string]string{"traceparent": incoming, "X-Request-ID": "req-3"})
	if resp.StatusCode != http.StatusOK || body["greeting"] != "Hallo, Ada!" {
		t.Fatalf("status %d, body %v", resp.StatusCode, body)
	}
	if _, ok := body["fortune"]; ok {
		t.Fatalf("a fortune without PYTHON_API_URL: %v", body)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.calls) != 0 {
		t.Fatalf("go-api called %v without PYTHON_API_URL", rt.calls)
	}
	m := outgoingRE.FindStringSubmatch(resp.Header.Get("traceparent"))
	if m == nil || m[1] != incomingID {
		t.Fatalf("response traceparent %q", resp.Header.Get("traceparent"))
	}
	requireLogs(t, logs.lines(t), incomingID, m[2], "req-3", parentSpan, "greeting", "request")
}

func TestHealthIsTraced(t *testing.T) {
	srv, logs := tracedServer(t, options{})
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	m := outgoingRE.FindStringSubmatch(resp.Header.Get("traceparent"))
	if m == nil || !hex16RE.MatchString(resp.Header.Get("X-Request-ID")) {
		t.Fatalf("headers %v", resp.Header)
	}
	requireLogs(t, logs.lines(t), m[1], m[2], resp.Header.Get("X-Request-ID"), "", "request")
}
