package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Retry is the backoff of every registry request, go-containerregistry's
// own: at most 7 tries, waiting 0.25 s, 0.5 s, 1 s, 2 s, 4 s and 8 s between
// them, each wait plus up to half of it again at random, so concurrent
// pipelines do not retry in step. A request therefore gives up after at most
// RetryWait of waiting. go-containerregistry retries a blob or manifest
// upload as a whole (existence check, upload, commit) and every other
// request on its own. It stays go-containerregistry's type, not
// cenkalti/backoff like paved's git retries (pipelines/gitremote): the
// retry loop is go-containerregistry's own, inside remote.Write, and only
// it can re-open a layer to upload it again.
var Retry = remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.5, Steps: 7}

// RetryWait is the longest a request waits between its tries in total.
var RetryWait = retryWait(Retry)

// RetryStatusCodes are the responses retried: timeouts, rate limits and
// server errors (499 is nginx's "client closed", 522 Cloudflare's "origin
// timed out").
var RetryStatusCodes = []int{
	http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, 499, 522,
}

// Transport is the HTTP transport of registry calls: go-containerregistry's
// default, with a bound on how long one try waits for the response headers,
// so a registry that accepts a request and never answers costs a retry, not
// the whole job's time.
var Transport http.RoundTripper = func() http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}()

// Retryable reports whether a failed registry request is tried again: a
// response in RetryStatusCodes, a registry error the registry calls
// temporary, or a connection cut before the answer (EOF, reset, broken
// pipe, closed). A context that ended, a refused connection (nothing
// listens) and every other answer are not.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return slices.Contains(RetryStatusCodes, terr.StatusCode) || terr.Temporary()
	}
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) && temp.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

// exhausted is a registry failure that Retry gave up on.
type exhausted struct{ err error }

func (e *exhausted) Error() string {
	return fmt.Sprintf("%v (tried %d times over %s; the registry kept failing: run again when it is healthy)", e.err, Retry.Steps, retryWait(Retry).Round(time.Second))
}
func (e *exhausted) Unwrap() error { return e.err }

// retryWait sums the longest waits of b.
func retryWait(b remote.Backoff) time.Duration {
	var total time.Duration
	d := b.Duration
	for i := 1; i < b.Steps; i++ {
		total += d + time.Duration(b.Jitter*float64(d))
		d = time.Duration(float64(d) * b.Factor)
	}
	return total
}
