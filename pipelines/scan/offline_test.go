package scan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	tlog "github.com/aquasecurity/trivy/pkg/log"
	xhttp "github.com/aquasecurity/trivy/pkg/x/http"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/scan"
)

// guardDialer fails the test on any dial to a non-loopback address.
type guardDialer struct {
	t     *testing.T
	mu    sync.Mutex
	dials []string
}

func (g *guardDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	g.mu.Lock()
	g.dials = append(g.dials, addr)
	g.mu.Unlock()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		g.t.Errorf("non-loopback dial to %s (%s)", addr, network)
		return nil, errors.New("network access refused by test")
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// trivyTransport is a Trivy transport that records whether it was built.
type trivyTransport struct{ rt http.RoundTripper }

func (t trivyTransport) Build(...xhttp.TransportOption) http.RoundTripper { return t.rt }

func TestScanStaysOfflineAndContained(t *testing.T) {
	g := &guardDialer{t: t}
	guarded := &http.Transport{DialContext: g.DialContext}

	// Every process-wide HTTP path points at the guard: net/http's default
	// transport and Trivy's default transport.
	origDefault := http.DefaultTransport
	http.DefaultTransport = guarded
	t.Cleanup(func() { http.DefaultTransport = origDefault })
	testTrivy := trivyTransport{rt: guarded}
	xhttp.SetDefaultTransport(testTrivy)

	// The standard log package must still write where the host set it.
	var stdlog bytes.Buffer
	log.SetOutput(&stdlog)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })

	img := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	layout := testimage.WriteLayout(t, img)
	ref := testimage.Push(t, img).String() // loopback registry

	var trivyLog bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&trivyLog, nil))
	for _, src := range []string{layout, ref} {
		r, err := scan.Image(context.Background(), src, scan.WithDBDir(fixtureDB(t)), scan.WithTransport(guarded))
		require.NotNil(t, r, "%v", err)
		require.Contains(t, r.Gate.Failing, "CVE-2022-32149")
	}
	res, err := sbom.Generate(context.Background(), sbom.Layout(layout), sbom.CycloneDXJSON)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "sbom.json")
	require.NoError(t, os.WriteFile(file, res.Document, 0o644))
	r, _ := scan.SBOM(context.Background(), file, scan.WithDBDir(fixtureDB(t)), scan.WithLogger(logger))
	require.NotNil(t, r)

	_, err = os.Stat(filepath.Join(os.TempDir(), fmt.Sprintf("trivy-%d", os.Getpid())))
	require.True(t, os.IsNotExist(err), "Trivy's temporary directory is removed")

	for _, d := range g.dials {
		require.True(t, strings.HasPrefix(d, "127.0.0.1:"), d)
	}
	require.NotEmpty(t, g.dials, "the registry pull went through the given transport")
	require.Same(t, guarded, xhttp.RoundTripper(context.Background()), "Trivy's default transport is unchanged")

	// Logging: Trivy's import-time buffer is gone, its records reach only
	// the logger that asked for them, and the log package is untouched.
	_, deferred := slog.Default().Handler().(*tlog.DeferredHandler)
	require.False(t, deferred)
	require.Contains(t, trivyLog.String(), "Detected SBOM format")
	log.Print("host log line")
	require.Equal(t, "host log line\n", stdlog.String()[len(stdlog.String())-len("host log line\n"):])
	slog.Info("after the scan")
	require.NotContains(t, trivyLog.String(), "after the scan", "WithLogger applies only during the scan")
}
