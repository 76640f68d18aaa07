package oci_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
)

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&transport.Error{StatusCode: http.StatusServiceUnavailable}, true},
		{&transport.Error{StatusCode: http.StatusTooManyRequests}, true},
		{&transport.Error{StatusCode: http.StatusNotFound}, false},
		{&transport.Error{StatusCode: http.StatusUnauthorized}, false},
		{fmt.Errorf("PATCH blob: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("PUT manifest: %w", syscall.ECONNRESET), true},
		{fmt.Errorf("dialing: %w", syscall.ECONNREFUSED), false},
		{context.Canceled, false},
		{fmt.Errorf("HEAD: %w", context.DeadlineExceeded), false},
		{errors.New("unexpected answer"), false},
	} {
		require.Equal(t, tc.want, oci.Retryable(tc.err), "%v", tc.err)
	}
}

// TestRetryThroughRegistry: go-containerregistry retries a 503 as Retry
// says, and the failure that Classify makes of the last one is transient
// and names the request and the tries; a 404 is tried once and is bad
// input.
func TestRetryThroughRegistry(t *testing.T) {
	saved := oci.Retry
	t.Cleanup(func() { oci.Retry = saved })
	oci.Retry = remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: saved.Steps}

	var tries, status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return // no auth
		}
		tries.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/acme/app:1")
	require.NoError(t, err)

	_, err = remote.Head(ref, oci.Remote(context.Background(), authn.NewMultiKeychain(), nil)...)
	err = oci.Classify(err)
	require.Equal(t, int32(saved.Steps), tries.Load(), "one request, tried Retry.Steps times")
	require.Equal(t, failure.Transient, failure.KindOf(err), err.Error())
	require.Contains(t, err.Error(), "HEAD "+srv.URL+"/v2/acme/app/manifests/1")
	require.Contains(t, err.Error(), fmt.Sprintf("tried %d times", saved.Steps))
	require.NotContains(t, err.Error(), "\n")

	tries.Store(0)
	status.Store(http.StatusNotFound)
	_, err = remote.Head(ref, oci.Remote(context.Background(), authn.NewMultiKeychain(), nil)...)
	require.Equal(t, int32(1), tries.Load(), "a 404 is not retried")
	require.Equal(t, failure.BadInput, failure.KindOf(oci.Classify(err)))
}

// TestRetryWaitIsBounded: paved's retries wait at most half a minute per
// request in total, so a dead registry fails a job in seconds, not hours.
func TestRetryWaitIsBounded(t *testing.T) {
	require.Equal(t, 7, oci.Retry.Steps)
	require.Less(t, oci.RetryWait, 30*time.Second)
	require.Greater(t, oci.RetryWait, 15*time.Second)
}
