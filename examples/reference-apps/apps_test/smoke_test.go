//go:build smoke

package apps

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/smoke"
	"github.com/paved-dev/paved/pipelines/smoke/smoketest"
	"github.com/paved-dev/paved/pipelines/template/service"
)

const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"

var created = time.Unix(1700000000, 0).UTC()

// platform pushes the approved bases, made by paved from the cached Debian
// rootfs tarballs, to an in-process registry and returns its host.
func platform(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	for baseName, tarball := range smoketest.Bases(t, "python-base", "node-base") {
		img, err := base.FromRootfs(tarball, base.Config{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Created: created})
		require.NoError(t, err)
		ref, err := name.ParseReference(host + "/platform/" + baseName + ":1")
		require.NoError(t, err)
		require.NoError(t, remote.Write(ref, img))
	}
	static, err := base.Static("/", base.Config{Platform: v1.Platform{OS: "linux", Architecture: "amd64"}, Created: created, User: "65532:65532"})
	require.NoError(t, err)
	ref, err := name.ParseReference(host + "/platform/static:1")
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, static))
	return host
}

// buildGoAPI builds go-api from its paved.yaml the way paved run does, on
// the platform's static base.
func buildGoAPI(t *testing.T, host string) v1.Image {
	t.Helper()
	dir := appDir("go-api")
	cfg, err := service.Load(filepath.Join(dir, "paved.yaml"))
	require.NoError(t, err)
	var extra []build.ExtraFile
	for _, f := range cfg.Build.ExtraFiles {
		extra = append(extra, build.ExtraFile{Src: f.Src, Dst: f.Dst})
	}
	res, err := build.Go(dir,
		build.WithBase(host+"/platform/static:1"), build.WithMain(cfg.Build.Main), build.WithEnv(cfg.Build.Env...),
		build.WithExtraFiles(extra...), build.WithVersion(cfg.Build.VersionVar, "smoke"), build.WithCreated(created),
	).Build(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Image)
	return res.Image
}

// buildApp builds app's Dockerfile with paved's daemonless builder on the
// platform's base; node-web's dependencies are installed first (npm ci).
func buildApp(t *testing.T, host, app string) v1.Image {
	t.Helper()
	dir := appDir(app)
	if app == "node-web" {
		out, err := exec.Command(filepath.Join(dir, "install.sh")).CombinedOutput()
		require.NoError(t, err, "npm ci:\n%s", out)
	}
	res, err := build.Dockerfile(dir,
		build.WithBuildArgs(map[string]string{"BASE": host + "/platform/" + dockerfileApps[app] + ":1"}),
		build.WithCreated(created),
	).Build(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Image)
	return res.Image
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs img with runc on a free loopback port (given to the app as
// PORT and ADDR) and waits for /healthz.
func start(t *testing.T, rt *smoke.Runc, img v1.Image, env ...string) (*smoke.Container, string) {
	t.Helper()
	port := freePort(t)
	env = append(env, "PORT="+strconv.Itoa(port), fmt.Sprintf("ADDR=127.0.0.1:%d", port))
	c, err := rt.Start(context.Background(), img, smoke.Spec{Env: env})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, c.WaitHealthy(ctx, base+"/healthz", nil), "logs:\n%s", c.Logs())
	return c, base
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("traceparent", incoming)
	req.Header.Set("X-Request-ID", "smoke-1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// requireTraceInLogs checks that the container logged the request (by its
// X-Request-ID) and that every such JSON line carries the trace id.
func requireTraceInLogs(t *testing.T, c *smoke.Container) {
	t.Helper()
	logs := string(c.Logs())
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct {
			TraceID   string `json:"trace_id"`
			RequestID string `json:"request_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "a log line that is not JSON: %s", line)
		if rec.RequestID == "smoke-1" {
			require.Equal(t, traceID, rec.TraceID, "line: %s", line)
			n++
		}
	}
	require.NotZero(t, n, "no log line of the request; logs:\n%s", logs)
}

// TestSmoke builds python-api and node-web on the approved bases and starts
// each image with runc: it answers its health endpoint, and a request with
// a traceparent keeps its trace id in the answer, in the logs and, for
// node-web, in the call it makes to go-api (here a loopback server). Then
// the three run together and answer one request with one trace id.
func TestSmoke(t *testing.T) {
	rt := &smoke.Runc{Binary: smoketest.Runc(t), Dir: t.TempDir(), Grace: 3 * time.Second}
	host := platform(t)

	t.Run("python-api", func(t *testing.T) {
		c, url := start(t, rt, buildApp(t, host, "python-api"))
		resp := get(t, url+"/api/fortune?lang=de")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, resp.Header.Get("traceparent"), traceID)
		require.Equal(t, "smoke-1", resp.Header.Get("X-Request-ID"))
		requireTraceInLogs(t, c)
	})

	t.Run("node-web", func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		goAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Get("traceparent")+" "+r.Header.Get("X-Request-ID"))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, `{"greeting":"Hello, smoke!","lang":"en"}`)
		}))
		t.Cleanup(goAPI.Close)
		c, url := start(t, rt, buildApp(t, host, "node-web"), "GO_API_URL="+goAPI.URL)
		resp := get(t, url+"/?name=smoke")
		require.Equal(t, http.StatusOK, resp.StatusCode, "logs:\n%s", c.Logs())
		require.Contains(t, resp.Header.Get("traceparent"), traceID)
		mu.Lock()
		require.Len(t, seen, 1)
		require.Regexp(t, `^00-`+traceID+`-[0-9a-f]{16}-01 smoke-1$`, seen[0])
		mu.Unlock()
		requireTraceInLogs(t, c)
	})

	// node-web -> go-api -> python-api, all three images running: one
	// request into node-web with a chosen traceparent is answered end to end,
	// each service logs it under that one trace id, and each hop's parent is
	// the span of the service that called it.
	t.Run("node-web to go-api to python-api", func(t *testing.T) {
		py, pyURL := start(t, rt, buildApp(t, host, "python-api"))
		api, apiURL := start(t, rt, buildGoAPI(t, host), "PYTHON_API_URL="+pyURL)
		web, webURL := start(t, rt, buildApp(t, host, "node-web"), "GO_API_URL="+apiURL)
		resp := get(t, webURL+"/?name=smoke")
		require.Equal(t, http.StatusOK, resp.StatusCode, "node-web logs:\n%s\ngo-api logs:\n%s\npython-api logs:\n%s", web.Logs(), api.Logs(), py.Logs())
		require.Contains(t, resp.Header.Get("traceparent"), traceID)
		for _, c := range []*smoke.Container{web, api, py} {
			requireTraceInLogs(t, c)
		}
		webSpan, webParent := requestSpan(t, web, "/")
		apiSpan, apiParent := requestSpan(t, api, "/api/greeting")
		_, pyParent := requestSpan(t, py, "/api/fortune")
		require.Equal(t, "00f067aa0ba902b7", webParent, "node-web's parent is the caller's span")
		require.Equal(t, webSpan, apiParent, "go-api's parent is node-web's span")
		require.Equal(t, apiSpan, pyParent, "python-api's parent is go-api's span")
	})
}

// requestSpan returns the span and parent span ids of the "request" log
// line the container wrote for the smoke request to path.
func requestSpan(t *testing.T, c *smoke.Container, path string) (span, parent string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(string(c.Logs())), "\n") {
		var rec struct {
			Msg       string `json:"msg"`
			Path      string `json:"path"`
			RequestID string `json:"request_id"`
			SpanID    string `json:"span_id"`
			ParentID  string `json:"parent_id"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "a log line that is not JSON: %s", line)
		if rec.Msg == "request" && rec.Path == path && rec.RequestID == "smoke-1" {
			require.Regexp(t, `^[0-9a-f]{16}$`, rec.SpanID, "line: %s", line)
			return rec.SpanID, rec.ParentID
		}
	}
	require.Failf(t, "no request line", "no request line for %s; logs:\n%s", path, c.Logs())
	return "", ""
}
