package gitlab_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/gitlab"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestRetriesThroughClientGo: client-go's calls are retried by paved's
// transport alone (client-go's own retries are off): a 429 with
// Retry-After is waited for once, 5xx until the attempts run out is
// transient after exactly that many calls, and the token shows nowhere.
func TestRetriesThroughClientGo(t *testing.T) {
	var calls atomic.Int32
	statuses := []int{http.StatusTooManyRequests, http.StatusOK, http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusServiceUnavailable}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, token, r.Header.Get("PRIVATE-TOKEN"))
		code := statuses[calls.Add(1)-1]
		w.Header().Set("Content-Type", "application/json")
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "3")
		}
		w.WriteHeader(code)
		if code == http.StatusOK {
			_, _ = w.Write([]byte(`[{"path":"api","http_url_to_repo":"https://gitlab.example.com/platform/api.git"}]`))
			return
		}
		_, _ = w.Write([]byte(`{"message":"try later, ` + token + `"}`))
	}))
	defer srv.Close()
	var waits []time.Duration
	g, err := gitlab.New(token, forge.WithBaseURL(srv.URL+"/api/v4"), forge.WithRetry(3, 100*time.Millisecond, time.Minute),
		forge.WithSleep(func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }))
	require.NoError(t, err)

	got, err := g.Repositories(context.Background(), "platform")
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, []time.Duration{3 * time.Second}, waits, "Retry-After")
	require.Equal(t, int32(2), calls.Load())

	_, err = g.Repositories(context.Background(), "platform")
	require.Equal(t, failure.Transient, failure.KindOf(err), "%v", err)
	require.Contains(t, err.Error(), `listing the projects of GitLab group "platform"`)
	require.Contains(t, err.Error(), "HTTP 503")
	require.Contains(t, err.Error(), "tried 3 times")
	require.NotContains(t, err.Error(), token)
	require.Equal(t, int32(5), calls.Load(), "three tries, none by client-go")
}
