package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

const (
	canaryRegistryPassword = "CANARY-registry-pw-7f3a9c"
	canaryKeyPassword      = "CANARY-key-pw-2b8e41"
)

// basicAuthRegistry is an in-process registry behind HTTP basic auth that
// records every request body it receives.
type basicAuthRegistry struct {
	user, pass string
	next       http.Handler
	mu         sync.Mutex
	bodies     bytes.Buffer
}

func (b *basicAuthRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != b.user || p != b.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="paved-test"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
		return
	}
	if r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.bodies.Write(body)
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	b.next.ServeHTTP(w, r)
}

// newAuthRegistry starts an in-process registry behind basic auth with the
// registry canary as the password; it returns the registry and its host.
func newAuthRegistry(t *testing.T) (*basicAuthRegistry, string) {
	reg := &basicAuthRegistry{user: "ci", pass: canaryRegistryPassword, next: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	return reg, strings.TrimPrefix(srv.URL, "http://")
}

// pushWithCanary pushes a random image to ref with the registry canary and
// returns it by digest.
func pushWithCanary(t *testing.T, ref string) name.Digest {
	img, err := random.Image(512, 1)
	require.NoError(t, err)
	tag, err := name.NewTag(ref)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img, remote.WithAuth(&authn.Basic{Username: "ci", Password: canaryRegistryPassword})))
	h, err := img.Digest()
	require.NoError(t, err)
	return tag.Context().Digest(h.String())
}

// TestSigningSecretsNeverLeak runs keys generate, sign, attest and verify
// (passing and failing) through the CLI with canary passwords, and checks
// that neither canary appears in stdout, stderr, any written file or
// anything pushed to the registry.
func TestSigningSecretsNeverLeak(t *testing.T) {
	reg, host := newAuthRegistry(t)
	ref := pushWithCanary(t, host+"/acme/app:latest")
	image, h := ref.String(), ref.DigestStr()
	tag, err := name.NewTag(host + "/acme/app:latest")
	require.NoError(t, err)

	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv(envRegistryHost, host)
	t.Setenv(envRegistryUsername, "ci")
	t.Setenv(envRegistryPassword, canaryRegistryPassword)
	t.Setenv(envKeyPassword, canaryKeyPassword)

	sbom := filepath.Join(dir, "sbom.spdx.json")
	require.NoError(t, os.WriteFile(sbom, []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"app","packages":[]}`), 0o600))
	report := filepath.Join(dir, "scan.json")
	require.NoError(t, os.WriteFile(report, []byte(`{"schemaVersion":"`+sign.ScanReportSchema+`","artifact":{"name":"`+image+`","digest":"`+h+`","kind":"image"},"gate":{"passed":true}}`), 0o600))

	var stdout, stderr bytes.Buffer
	paved := func(want int, args ...string) {
		t.Helper()
		code := run(context.Background(), args, &stdout, &stderr)
		require.Equal(t, want, code, "paved %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	}
	key, pub := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	paved(0, "keys", "generate", "--dir", dir)
	paved(0, "sign", "--key", key, image)
	paved(0, "sign", "--key", key, image)
	paved(0, "attest", "--key", key, "--sbom", sbom, "--scan-report", report,
		"--source-repo", "https://git.example.com/acme/app", "--source-revision", "9f1e2d3c4b5a69788796a5b4c3d2e1f009182736", image)
	paved(0, "verify", "--key", pub, "--require", "sbom,vuln,provenance", "--max-scan-age", "7d", image)
	// The report of another digest is refused: verify would pass this one.
	otherReport := filepath.Join(dir, "other-scan.json")
	require.NoError(t, os.WriteFile(otherReport, []byte(`{"schemaVersion":"`+sign.ScanReportSchema+`","artifact":{"name":"x","digest":"sha256:`+strings.Repeat("0", 64)+`","kind":"image"},"gate":{"passed":true}}`), 0o600))
	paved(2, "attest", "--key", key, "--scan-report", otherReport, image)
	require.Contains(t, stderr.String(), "the scan report is of another image: its artifact.digest is sha256:000")
	paved(0, "verify", "--key", pub, "-o", "json", image)
	require.Contains(t, stdout.String(), "tlog upload: off (offline)")

	// Failures print their reason, and still no secret.
	paved(2, "sign", "--key", key, tag.String())
	t.Setenv(envKeyPassword, canaryKeyPassword+"-wrong")
	paved(2, "sign", "--force", "--key", key, image)
	require.Contains(t, stderr.String(), "wrong password")
	t.Setenv(envRegistryPassword, canaryRegistryPassword+"-wrong")
	paved(2, "verify", "--key", pub, image)
	t.Setenv(envKeyPassword, canaryKeyPassword)
	paved(2, "sign", "--force", "--key", key, image)
	require.Contains(t, stderr.String(), "the registry refused the credentials (401); check docker login, or PAVED_REGISTRY_USERNAME and PAVED_REGISTRY_PASSWORD\n")
	t.Setenv(envRegistryPassword, canaryRegistryPassword)
	other := t.TempDir()
	t.Setenv(envKeyPassword, "another")
	paved(0, "keys", "generate", "--dir", other)
	paved(3, "verify", "--key", filepath.Join(other, "cosign.pub"), "--require", "sbom", image)
	require.Contains(t, stderr.String(), "no signature verifies with key")

	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	require.NotZero(t, reg.bodies.Len(), "nothing was pushed")
	for _, canary := range []string{canaryRegistryPassword, canaryKeyPassword} {
		require.NotContains(t, stdout.String(), canary)
		require.NotContains(t, stderr.String(), canary)
		require.NotContains(t, reg.bodies.String(), canary)
		for _, d := range []string{dir, other} {
			require.NoError(t, filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
				if err != nil || e.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				require.NotContains(t, string(b), canary, "in %s", path)
				return nil
			}))
		}
	}
}
