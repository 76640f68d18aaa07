package forge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Transport returns the API's calls as an http.RoundTripper, for a forge
// library's client (go-github) to send its requests through: it keeps the
// request on the API's host, sends the token and the API's headers, and
// retries what may pass (429, 5xx, a rate limit sent as 403, an unreachable
// forge), honouring Retry-After, up to the API's attempts. A response that
// is final is returned as it is, for the library to read; when the retries
// run out, or the forge asks for a longer wait than the API allows, the
// error is transient and names the last answer, with the token redacted.
func (a *API) Transport() http.RoundTripper { return transport{a} }

type transport struct{ a *API }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	a := t.a
	if req.URL.Scheme != a.base.Scheme || req.URL.Host != a.base.Host {
		return nil, failure.BadInputErr(fmt.Errorf("calling %q: the URL leaves %s, which the token is for", redact.URL(req.URL.String()), a.base.Host))
	}
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
	}
	ctx := req.Context()
	schedule := a.schedule()
	for attempt := 1; ; attempt++ {
		resp, err := a.client.Do(a.prepare(req, body))
		var asked time.Duration
		var last string
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			last = a.redact(err.Error())
		default:
			wait, retry := a.retryable(resp)
			if !retry {
				return keepErrorBody(resp), nil
			}
			asked, last = wait, a.status(resp)
		}
		if werr := a.wait(ctx, schedule, attempt, asked, last); werr != nil {
			return nil, werr
		}
	}
}

// prepare is a copy of req, with body, the API's headers and the token.
func (a *API) prepare(req *http.Request, body []byte) *http.Request {
	r := req.Clone(req.Context())
	if body != nil {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	for k, vs := range a.headers {
		r.Header[k] = vs
	}
	r.Header.Set("User-Agent", a.userAgent)
	r.Header.Set(a.auth.Header, a.auth.Prefix+a.token)
	return r
}

// status describes a failed answer and closes its body: "GET /path: HTTP
// 503 Service Unavailable: the forge's message".
func (a *API) status(resp *http.Response) string {
	defer resp.Body.Close()
	s := fmt.Sprintf("%s %s: HTTP %s", resp.Request.Method, resp.Request.URL.EscapedPath(), resp.Status)
	if msg := a.message(resp); msg != "" {
		s += ": " + msg
	}
	return s
}

// schedule is the API's wait between tries on cenkalti/backoff, the library
// gitremote.Retry waits with: the first backoff, doubling up to the longest
// wait. It has no jitter: each call's schedule is its own, and the forge's
// Retry-After, not a race between writers, spreads the retries out.
// backoff.Retry itself is not used: its timer cannot be replaced, and the
// tests of a forge asking for a minute's wait would wait a minute.
func (a *API) schedule() backoff.BackOff {
	return &backoff.ExponentialBackOff{InitialInterval: a.backoff, Multiplier: 2, MaxInterval: max(a.backoff, a.maxWait)}
}

// wait sleeps before attempt+1, the time the forge asked for or else the
// schedule's next, or returns the final transient error.
func (a *API) wait(ctx context.Context, schedule backoff.BackOff, attempt int, asked time.Duration, last string) error {
	if attempt >= a.attempts {
		return failure.TransientErr(fmt.Errorf("%s (tried %d times)", last, attempt))
	}
	d := schedule.NextBackOff()
	if asked > 0 {
		d = asked
	}
	if d > a.maxWait {
		return failure.TransientErr(fmt.Errorf("%s: the forge asks to wait %s, longer than %s: try again later", last, d, a.maxWait))
	}
	return a.sleep(ctx, d)
}

// errorBody is an error answer's body, read in full (up to maxErrorBody) so
// that ErrorBody has it after the library that read (or closed) it.
type errorBody struct {
	*bytes.Reader
	data []byte
}

func (errorBody) Close() error { return nil }

// keepErrorBody reads the body of an error answer into an errorBody.
func keepErrorBody(resp *http.Response) *http.Response {
	if resp.StatusCode < 400 {
		return resp
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = errorBody{bytes.NewReader(data), data}
	return resp
}

// ErrorBody is the body of an error answer that came through Transport,
// whether or not a library read it; nil for another response.
func ErrorBody(resp *http.Response) []byte {
	if b, ok := resp.Body.(errorBody); ok {
		return b.data
	}
	return nil
}
