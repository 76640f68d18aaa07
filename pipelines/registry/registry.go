// Package registry is paved's embedded OCI registry for the demo and tests:
// go-containerregistry's registry with blobs on disk and a manifest journal,
// so that images survive a restart. It listens on loopback only.
package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/paved-dev/paved/pipelines/failure"
)

// maxManifest bounds a journaled manifest (registries commonly cap at 4 MiB).
const maxManifest = 4 << 20

// Handler returns a registry whose blobs live under dir/blobs and whose
// manifest writes are journaled under dir/manifests and replayed on start.
func Handler(dir string) (http.Handler, error) {
	blobs := filepath.Join(dir, "blobs")
	journal := filepath.Join(dir, "manifests")
	for _, d := range []string{blobs, journal} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("creating registry directory %q: %w", d, err))
		}
	}
	inner := ggcr.New(ggcr.WithBlobHandler(ggcr.NewDiskBlobHandler(blobs)), ggcr.Logger(discardLogger()))
	h := &journaled{inner: inner, dir: journal}
	if err := h.replay(); err != nil {
		return nil, err
	}
	return h, nil
}

// journaled records successful manifest PUTs and DELETEs, one file each,
// named by sequence so replay keeps their order (children before indexes).
type journaled struct {
	inner http.Handler
	dir   string
	mu    sync.Mutex
	seq   int
}

type entry struct {
	method, path, contentType string
	body                      []byte
}

func (j *journaled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isManifestWrite(r) {
		j.inner.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil || len(body) > maxManifest {
		http.Error(w, "manifest too large or unreadable", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusRecorder{ResponseWriter: w}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.inner.ServeHTTP(rec, r)
	if rec.status/100 == 2 {
		e := entry{method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type"), body: body}
		if err := j.write(e); err != nil {
			// The manifest is served but would not survive a restart.
			fmt.Fprintf(os.Stderr, "paved registry: journaling %s %s: %v\n", r.Method, r.URL.Path, err)
		}
	}
}

func isManifestWrite(r *http.Request) bool {
	return (r.Method == http.MethodPut || r.Method == http.MethodDelete) && strings.Contains(r.URL.Path, "/manifests/")
}

func (j *journaled) write(e entry) error {
	j.seq++
	name := filepath.Join(j.dir, fmt.Sprintf("%012d", j.seq))
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s %s %s\n", e.method, e.path, e.contentType)
	buf.Write(e.body)
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// replay feeds the journal back through the registry in order.
func (j *journaled) replay() error {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return fmt.Errorf("reading registry journal %q: %w", j.dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".tmp") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(j.dir, n))
		if err != nil {
			return fmt.Errorf("reading registry journal entry %q: %w", n, err)
		}
		head, body, _ := bytes.Cut(data, []byte("\n"))
		f := strings.SplitN(string(head), " ", 3)
		if len(f) < 2 {
			return failure.BadInputErr(fmt.Errorf("registry journal entry %q is corrupt: remove it or the registry directory", filepath.Join(j.dir, n)))
		}
		req, _ := http.NewRequest(f[0], f[1], bytes.NewReader(body))
		if len(f) == 3 && f[2] != "" {
			req.Header.Set("Content-Type", f[2])
		}
		rec := &statusRecorder{ResponseWriter: discardWriter{h: http.Header{}}}
		j.inner.ServeHTTP(rec, req)
		j.seq++
	}
	return nil
}

// Listen opens a loopback listener on addr ("127.0.0.1:5000", or port 0 for
// any free port). Non-loopback addresses are refused: the embedded registry
// has no authentication.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing address %q: %w (want 127.0.0.1:PORT)", addr, err))
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, failure.BadInputErr(fmt.Errorf("address %q is not loopback: the embedded registry listens on 127.0.0.1 or ::1 only", addr))
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("listening on %q: %w", addr, err))
	}
	return l, nil
}

// Serve serves h on l until ctx is done.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
