// Package faultproxy is an HTTP proxy that injects faults between paved and
// a registry, for tests and benchmarks: it answers a share of the requests
// with 503 Service Unavailable, and cuts a share of the blob uploads in the
// middle of their body by closing the connection, as a flaky network or an
// overloaded registry does.
//
// It forwards everything else to the registry unchanged, counts what it did,
// and draws its faults from a seeded generator, so a run is reproducible.
package faultproxy

import (
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Faults says which share (0 to 1) of the requests get which fault.
type Faults struct {
	// Unavailable answers any request with 503.
	Unavailable float64
	// CutUploads closes the connection half-way through the body of a blob
	// upload (PATCH or PUT under /blobs/uploads/ with a body).
	CutUploads float64
}

// Counts are what the proxy did.
type Counts struct {
	Requests, Unavailable, CutUploads int
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// Host is the proxy's host:port, to use as the registry's.
	Host string

	srv    *httptest.Server
	rp     *httputil.ReverseProxy
	mu     sync.Mutex
	rng    *rand.Rand
	faults Faults
	counts Counts
}

// New starts a proxy on loopback in front of the registry at target
// (http://host:port), drawing faults from seed.
func New(target string, faults Faults, seed uint64) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{rp: httputil.NewSingleHostReverseProxy(u), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), faults: faults}
	p.rp.ErrorLog = log.New(io.Discard, "", 0)
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.Host = strings.TrimPrefix(p.srv.URL, "http://")
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// Set changes the faults from now on (Faults{} forwards everything).
func (p *Proxy) Set(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// Counts returns what the proxy did so far.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	unavailable, cut := p.draw(r)
	switch {
	case unavailable:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected by faultproxy"}]}`)
	case cut:
		cutBody(w, r)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

// draw decides the request's fault, and counts it.
func (p *Proxy) draw(r *http.Request) (unavailable, cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Requests++
	if p.rng.Float64() < p.faults.Unavailable {
		p.counts.Unavailable++
		return true, false
	}
	if upload(r) && p.rng.Float64() < p.faults.CutUploads {
		p.counts.CutUploads++
		return false, true
	}
	return false, false
}

func upload(r *http.Request) bool {
	return (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/blobs/uploads/") &&
		r.ContentLength != 0
}

// cutBody reads half of the body (at least a byte) and drops the
// connection without an answer.
func cutBody(w http.ResponseWriter, r *http.Request) {
	n := r.ContentLength / 2
	if n <= 0 {
		n = 1
	}
	_, _ = io.CopyN(io.Discard, r.Body, n)
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
