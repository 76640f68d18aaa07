package forge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

const secret = "glpat-SECRETSECRET1234"

// answer is one scripted HTTP answer.
type answer struct {
	status  int
	headers map[string]string
	body    string
}

// script serves answers in order, then 200 {"ok": true}, counting calls.
func script(t *testing.T, answers ...answer) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, secret, r.Header.Get("PRIVATE-TOKEN"))
		i := int(n.Add(1)) - 1
		if i >= len(answers) {
			_, _ = w.Write([]byte(`{"ok": true}`))
			return
		}
		for k, v := range answers[i].headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(answers[i].status)
		_, _ = w.Write([]byte(answers[i].body))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newAPI(t *testing.T, url string, waits *[]time.Duration, opts ...forge.Option) *forge.API {
	t.Helper()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	opts = append([]forge.Option{
		forge.WithBaseURL(url), forge.WithRetry(3, 100*time.Millisecond, 30*time.Second), forge.WithClock(func() time.Time { return now }),
		forge.WithSleep(func(ctx context.Context, d time.Duration) error { *waits = append(*waits, d); return ctx.Err() }),
	}, opts...)
	a, err := forge.NewAPI("https://unused.example", secret, forge.Auth{Header: "PRIVATE-TOKEN"}, nil, opts...)
	require.NoError(t, err)
	return a
}

func TestDoClassifiesAndRetries(t *testing.T) {
	echo := `{"message": "internal error while checking token ` + secret + `"}`
	tests := []struct {
		name      string
		answers   []answer
		wantKind  failure.Kind
		wantIs    error
		wantCalls int32
		wantWaits []time.Duration
		wantMsg   []string
	}{
		{name: "ok", wantKind: failure.OK, wantCalls: 1},
		{name: "401", answers: []answer{{status: 401, body: `{"message": "401 Unauthorized"}`}}, wantKind: failure.BadInput, wantIs: fleet.ErrForbidden, wantCalls: 1,
			wantMsg: []string{"listing projects of \"group\"", "GET /groups/group/projects", "HTTP 401", "401 Unauthorized", "the token needs read_api"}},
		{name: "403", answers: []answer{{status: 403, body: `{"message": "403 Forbidden"}`}}, wantKind: failure.BadInput, wantIs: fleet.ErrForbidden, wantCalls: 1},
		{name: "404", answers: []answer{{status: 404, body: `{"message": "404 Group Not Found"}`}}, wantKind: failure.BadInput, wantIs: forge.ErrNotFound, wantCalls: 1,
			wantMsg: []string{"404 Group Not Found", "cannot see it"}},
		{name: "422 names the forge's reason", answers: []answer{{status: 422, body: `{"message": {"base": ["branch does not exist"]}}`}}, wantKind: failure.BadInput, wantCalls: 1,
			wantMsg: []string{"branch does not exist"}},
		{name: "500 echoing the token, then ok", answers: []answer{{status: 500, body: echo}}, wantKind: failure.OK, wantCalls: 2, wantWaits: []time.Duration{100 * time.Millisecond}},
		{name: "5xx until the attempts run out", answers: []answer{{status: 500, body: echo}, {status: 502, body: "<html>bad gateway " + secret + "</html>"}, {status: 503, body: echo}},
			wantKind: failure.Transient, wantCalls: 3, wantWaits: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, wantMsg: []string{"HTTP 503", "tried 3 times", "***"}},
		{name: "429 with Retry-After seconds", answers: []answer{{status: 429, headers: map[string]string{"Retry-After": "7"}}}, wantKind: failure.OK, wantCalls: 2, wantWaits: []time.Duration{7 * time.Second}},
		{name: "429 with Retry-After date", answers: []answer{{status: 429, headers: map[string]string{"Retry-After": "Sun, 22 Nov 2026 10:00:05 GMT"}}}, wantKind: failure.OK, wantCalls: 2, wantWaits: []time.Duration{5 * time.Second}},
		{name: "403 rate limit waits for the reset", answers: []answer{{status: 403, headers: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(time.Date(2026, 11, 22, 10, 0, 12, 0, time.UTC).Unix(), 10)}}},
			wantKind: failure.OK, wantCalls: 2, wantWaits: []time.Duration{12 * time.Second}},
		{name: "Retry-After longer than the longest wait", answers: []answer{{status: 429, headers: map[string]string{"Retry-After": "3600"}}}, wantKind: failure.Transient, wantCalls: 1,
			wantMsg: []string{"asks to wait 1h0m0s", "try again later"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := script(t, tc.answers...)
			var waits []time.Duration
			a := newAPI(t, srv.URL, &waits)
			var out struct{ OK bool }
			_, err := a.Do(context.Background(), forge.Call{What: `listing projects of "group"`, Method: "GET", Path: "/groups/group/projects", Scope: "read_api"}, &out)
			require.Equal(t, tc.wantKind, failure.KindOf(err), "%v", err)
			require.Equal(t, tc.wantCalls, calls.Load())
			require.Equal(t, tc.wantWaits, waits)
			if err == nil {
				require.True(t, out.OK)
				return
			}
			require.NotContains(t, err.Error(), secret)
			if tc.wantIs != nil {
				require.ErrorIs(t, err, tc.wantIs)
			}
			for _, m := range tc.wantMsg {
				require.Contains(t, err.Error(), m)
			}
		})
	}
}

// TestDoBacksOffUpToTheLongestWait: the waits double from the first
// backoff and stop growing at the longest wait, and a Retry-After in
// between takes the place of the schedule's wait, not its place in it.
func TestDoBacksOffUpToTheLongestWait(t *testing.T) {
	srv, calls := script(t, answer{status: 503}, answer{status: 503}, answer{status: 429, headers: map[string]string{"Retry-After": "1"}}, answer{status: 503}, answer{status: 503})
	var waits []time.Duration
	a := newAPI(t, srv.URL, &waits, forge.WithRetry(6, 100*time.Millisecond, 1500*time.Millisecond))
	_, err := a.Do(context.Background(), forge.Call{What: "reading", Method: "GET", Path: "/x"}, nil)
	require.NoError(t, err)
	require.Equal(t, int32(6), calls.Load())
	require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, time.Second, 800 * time.Millisecond, 1500 * time.Millisecond}, waits)
}

func TestDoUnreachableIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	var waits []time.Duration
	_, err := newAPI(t, srv.URL, &waits).Do(context.Background(), forge.Call{What: "reading", Method: "GET", Path: "/x"}, nil)
	require.Equal(t, failure.Transient, failure.KindOf(err))
	require.Len(t, waits, 2)
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	srv, calls := script(t, answer{status: 503}, answer{status: 503}, answer{status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	var waits []time.Duration
	a := newAPI(t, srv.URL, &waits, forge.WithSleep(func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }))
	_, err := a.Do(ctx, forge.Call{What: "reading", Method: "GET", Path: "/x"}, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int32(1), calls.Load())

	_, err = a.Do(ctx, forge.Call{What: "reading", Method: "GET", Path: "/x"}, nil)
	require.ErrorIs(t, err, context.Canceled, "a cancelled context makes no call")
	require.Equal(t, int32(1), calls.Load())
}

func TestDoKeepsTheTokenOnTheForgesHost(t *testing.T) {
	srv, calls := script(t)
	var waits []time.Duration
	a := newAPI(t, srv.URL, &waits)
	_, err := a.Do(context.Background(), forge.Call{What: "listing", Method: "GET", URL: "https://elsewhere.example/page2"}, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "leaves")
	require.Equal(t, int32(0), calls.Load())
}

func TestNewAPIRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ base, token string }{
		"no token":      {"https://gitlab.example.com/api/v4", " "},
		"not a URL":     {"gitlab.example.com", secret},
		"not http(s)":   {"ftp://gitlab.example.com", secret},
		"no host given": {"https://", secret},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := forge.NewAPI(tc.base, tc.token, forge.Auth{Header: "PRIVATE-TOKEN"}, nil)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.NotContains(t, err.Error(), secret)
		})
	}
}

func TestRepoPath(t *testing.T) {
	tests := []struct {
		url, host, path string
	}{
		{"https://github.com/acme/api.git", "github.com", "acme/api"},
		{"https://github.com/acme/api", "github.com", "acme/api"},
		{"https://github.com/acme/api/", "github.com", "acme/api"},
		{"https://x-access-token:t0k3n@github.example.com/acme/api.git", "github.example.com", "acme/api"},
		{"ssh://git@github.com/acme/api.git", "github.com", "acme/api"},
		{"ssh://git@gitlab.example.com:2222/platform/services/api.git", "gitlab.example.com", "platform/services/api"},
		{"git@github.com:acme/api.git", "github.com", "acme/api"},
		{"git@gitlab.example.com:platform/services/api.git", "gitlab.example.com", "platform/services/api"},
		{"http://127.0.0.1:3000/acme/api.git", "127.0.0.1", "acme/api"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			host, path, err := forge.RepoPath(tc.url)
			require.NoError(t, err)
			require.Equal(t, tc.host, host)
			require.Equal(t, tc.path, path)
		})
	}
	for _, bad := range []string{"", "api", "/srv/git/api.git", "file:///srv/git/acme/api.git", "https://github.com/api.git", "https://github.com/", "git@github.com:api.git", "https://user:hunter2@github.com/"} {
		t.Run("bad "+bad, func(t *testing.T) {
			_, _, err := forge.RepoPath(bad)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestNextLink(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://api.github.com/organizations/9/repos?page=1>; rel="prev", <https://api.github.com/organizations/9/repos?page=3>; rel="next", <https://api.github.com/organizations/9/repos?page=5>; rel="last"`)
	require.Equal(t, "https://api.github.com/organizations/9/repos?page=3", forge.NextLink(h))
	h.Set("Link", `<https://api.github.com/organizations/9/repos?page=1>; rel="first"`)
	require.Empty(t, forge.NextLink(h))
	require.Empty(t, forge.NextLink(http.Header{}))
}
