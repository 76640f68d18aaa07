package forge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// maxErrorBody bounds how much of an error response is read for its message.
const maxErrorBody = 64 << 10

// Auth says how a forge wants its token: in Header, as Prefix + token.
type Auth struct {
	Header, Prefix string
}

// API is a forge's REST API: base URL, token and retry policy.
type API struct {
	baseURL   string
	base      *url.URL
	token     string
	auth      Auth
	headers   http.Header
	client    *http.Client
	attempts  int
	backoff   time.Duration
	maxWait   time.Duration
	sleep     func(ctx context.Context, d time.Duration) error
	now       func() time.Time
	userAgent string
}

// NewAPI returns a client of the API at defaultBase (unless WithBaseURL
// says otherwise) that sends token as auth says and headers with every call.
// An empty token is bad input: forges refuse anonymous writes and limit
// anonymous reads to a few calls an hour.
func NewAPI(defaultBase, token string, auth Auth, headers http.Header, opts ...Option) (*API, error) {
	a := configured(defaultBase, opts)
	a.token, a.auth, a.headers = token, auth, headers
	if strings.TrimSpace(token) == "" {
		return nil, failure.BadInputErr(fmt.Errorf("connecting to %q: no token: set the forge's token variable", a.baseURL))
	}
	u, err := url.Parse(strings.TrimRight(a.baseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, failure.BadInputErr(fmt.Errorf("reading forge API URL %q: want https://host[/path]", a.baseURL))
	}
	if a.attempts < 1 {
		a.attempts = 1
	}
	a.base = u
	return a, nil
}

// configured is an API at defaultBase with the defaults, then opts.
func configured(defaultBase string, opts []Option) *API {
	a := &API{
		baseURL: defaultBase, client: &http.Client{Timeout: 30 * time.Second},
		attempts: 4, backoff: time.Second, maxWait: time.Minute,
		sleep: sleepCtx, now: time.Now, userAgent: "paved",
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Call is one API call.
type Call struct {
	// What the call does, as the gerund that starts its error message:
	// `opening a pull request on "owner/repo"`.
	What string
	// Method and Path (escaped, relative to the base URL) with Query; or
	// URL, an absolute URL on the API's host (a next-page link).
	Method, Path string
	Query        url.Values
	URL          string
	// Body is sent as JSON when not nil.
	Body any
	// Scope names the rights the token needs, for a 401/403 error.
	Scope string
}

// Do makes the call and decodes a 2xx response's JSON into out (when not
// nil), returning the response's headers. Failures are classified: 401/403
// is bad input wrapping fleet.ErrForbidden, 404 bad input wrapping
// ErrNotFound, other 4xx bad input, and 429, 5xx and unreachable forges are
// retried (see Transport) and then transient. The token never appears in
// an error.
func (a *API) Do(ctx context.Context, c Call, out any) (http.Header, error) {
	u, err := a.url(c)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if c.Body != nil {
		data, err := json.Marshal(c.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: encoding the request: %w", c.What, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.What, err)
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.Transport().RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.What, err)
	}
	return a.finish(resp, c, out)
}

// url resolves the call's URL; a next-page link must stay on the API's
// scheme and host, since the token goes with it.
func (a *API) url(c Call) (string, error) {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || u.Scheme != a.base.Scheme || u.Host != a.base.Host {
			return "", failure.BadInputErr(fmt.Errorf("%s: the forge's next-page link %q leaves %s", c.What, c.URL, a.base.Host))
		}
		return c.URL, nil
	}
	s := a.base.String() + c.Path
	if len(c.Query) > 0 {
		s += "?" + c.Query.Encode()
	}
	return s, nil
}

// finish reads a final response: a 2xx one's JSON into out, else the
// classified error.
func (a *API) finish(resp *http.Response, c Call, out any) (http.Header, error) {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		defer resp.Body.Close()
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return resp.Header, nil
		}
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return nil, failure.TransientErr(fmt.Errorf("%s: reading the forge's answer: %w", c.What, err))
		}
		return resp.Header, nil
	}
	return nil, a.classify(resp.StatusCode, c.What+": "+a.status(resp), c.Scope)
}

// Fail is the error of call what, whose final answer resp (non-2xx) came
// through Transport, whatever a forge library did with its body: classified
// as Do classifies, with the forge's message (see Message) and the token
// redacted; scope names the rights the token needs.
func (a *API) Fail(what, scope string, resp *http.Response) error {
	return a.classify(resp.StatusCode, what+": "+a.status(resp), scope)
}

// BaseURL is the API's base URL, without a trailing slash.
func (a *API) BaseURL() string { return a.base.String() }

// classify is the error of a final non-2xx answer with status code, whose
// description (the call, the answer) is base; scope names the rights the
// token needs.
func (a *API) classify(code int, base, scope string) error {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return failure.BadInputErr(fmt.Errorf("%s: %w: the token needs %s", base, fleet.ErrForbidden, scope))
	case http.StatusNotFound:
		return failure.BadInputErr(fmt.Errorf("%s: %w (or the token cannot see it: it needs %s)", base, ErrNotFound, scope))
	}
	if code == http.StatusTooManyRequests || code >= 500 {
		return failure.TransientErr(errors.New(base))
	}
	return failure.BadInputErr(errors.New(base))
}

// retryable reports whether the answer may pass on retry (429, 5xx, a rate
// limit sent as 403) and the wait the forge asks for (0: none said).
func (a *API) retryable(resp *http.Response) (time.Duration, bool) {
	limited := resp.StatusCode == http.StatusForbidden &&
		(resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0")
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 && !limited {
		return 0, false
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
		if t, err := http.ParseTime(s); err == nil {
			return max(t.Sub(a.now()), 0), true
		}
	}
	if s := resp.Header.Get("X-RateLimit-Reset"); resp.Header.Get("X-RateLimit-Remaining") == "0" && s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return max(time.Unix(n, 0).Sub(a.now()), 0), true
		}
	}
	return 0, true
}

// message is the forge's error message in resp's body (see Message),
// tidied.
func (a *API) message(resp *http.Response) string {
	data := ErrorBody(resp)
	if data == nil {
		data, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	}
	return a.tidy(Message(data))
}

// Message is a forge's error message in an error answer's JSON body
// ("message": a string, or an object of field errors; else "error"), else
// the body itself.
func Message(body []byte) string {
	var m struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &m) != nil {
		return string(body)
	}
	switch v := m.Message.(type) {
	case string:
		return v
	case nil:
		return m.Error
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// tidy is s on one line, at most 300 characters, with the token redacted.
func (a *API) tidy(s string) string {
	s = a.redact(strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

// redact hides the token, and the credentials of every URL, in s.
func (a *API) redact(s string) string {
	if a.token != "" {
		s = strings.ReplaceAll(s, a.token, redact.Mask)
	}
	return redact.Text(s)
}

// Close closes change c, which the caller has just read, the way GitHub and
// Gitea both do: a closed change is left alone; a merged one is bad input
// wrapping ErrMerged (revert it instead); else comment, when not nil, is
// posted before the close call.
func (a *API) Close(ctx context.Context, c fleet.Change, what string, comment *Call, closeCall Call) error {
	var post func() error
	if comment != nil {
		post = func() error { _, err := a.Do(ctx, *comment, nil); return err }
	}
	return CloseChange(c, what, post, func() error { _, err := a.Do(ctx, closeCall, nil); return err })
}

// CloseChange closes change c, which the caller has just read: a closed
// change is left alone; a merged one is bad input wrapping ErrMerged
// (revert it instead); else comment, when not nil, runs before closeIt.
func CloseChange(c fleet.Change, what string, comment, closeIt func() error) error {
	switch c.State {
	case fleet.ChangeClosed:
		return nil
	case fleet.ChangeMerged:
		return failure.BadInputErr(fmt.Errorf("closing %s: %w at %s: revert it instead", what, ErrMerged, c.MergeCommit))
	}
	if comment != nil {
		if err := comment(); err != nil {
			return err
		}
	}
	return closeIt()
}
