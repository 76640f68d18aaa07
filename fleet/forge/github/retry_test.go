package github_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/github"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestRetriesThroughGoGitHub: go-github's calls go through paved's
// transport: a 429 with Retry-After is waited for and retried, 5xx until
// the attempts run out is transient, and GitHub echoing the token shows
// it nowhere.
func TestRetriesThroughGoGitHub(t *testing.T) {
	var calls atomic.Int32
	statuses := []int{http.StatusTooManyRequests, http.StatusOK, http.StatusBadGateway, http.StatusBadGateway, http.StatusBadGateway}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
		code := statuses[calls.Add(1)-1]
		w.Header().Set("Content-Type", "application/json")
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(code)
		if code == http.StatusOK {
			_, _ = w.Write([]byte(`[{"name":"api","clone_url":"https://github.com/acme/api.git"}]`))
			return
		}
		_, _ = w.Write([]byte(`{"message":"upstream failed for token ` + token + `"}`))
	}))
	defer srv.Close()
	var waits []time.Duration
	g, err := github.New(token, forge.WithBaseURL(srv.URL), forge.WithRetry(3, 100*time.Millisecond, time.Minute),
		forge.WithSleep(func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }))
	require.NoError(t, err)

	got, err := g.Repositories(context.Background(), "acme")
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, []time.Duration{7 * time.Second}, waits, "Retry-After")

	_, err = g.Repositories(context.Background(), "acme")
	require.Equal(t, failure.Transient, failure.KindOf(err), "%v", err)
	require.Contains(t, err.Error(), `listing the repositories of GitHub organisation "acme"`)
	require.Contains(t, err.Error(), "HTTP 502")
	require.Contains(t, err.Error(), "tried 3 times")
	require.NotContains(t, err.Error(), token)
	require.Equal(t, int32(5), calls.Load())
}
