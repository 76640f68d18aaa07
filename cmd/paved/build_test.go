package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/publish"
)

// testRegistry starts an in-process registry holding a static base at
// HOST/platform/static:1 and returns HOST.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := base.Static("/", base.Config{Created: time.Unix(0, 0)})
	require.NoError(t, err)
	pub, err := publish.Registry(host+"/platform/static", []string{"1"}, nil, nil)
	require.NoError(t, err)
	_, err = publish.All(context.Background(), publish.Artifact{Image: img}, pub)
	require.NoError(t, err)
	return host
}

// catalog lists the repositories in the registry.
func catalog(t *testing.T, host string) []string {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/_catalog")
	require.NoError(t, err)
	defer resp.Body.Close()
	var c struct{ Repositories []string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	return c.Repositories
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func TestBuildExitCodes(t *testing.T) {
	host := testRegistry(t)
	from := "FROM " + host + "/platform/static:1\n"
	policyFile := filepath.Join(writeTree(t, map[string]string{"policy.yaml": "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  denied:\n  - image: " + host + "/platform/static:1\n    reason: CVE-2026-0001 in tzdata\n    replacement: " + host + "/platform/static:2\n"}), "policy.yaml")
	escaping := writeTree(t, map[string]string{"Dockerfile": from + "COPY link /x\n"})
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(escaping, "link")))

	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		wantErr  []string
	}{
		{"RUN names file and line", writeTree(t, map[string]string{"Dockerfile": from + "COPY a /a\nRUN make\n", "a": "a"}), nil, 2, []string{"Dockerfile:3", "RUN", "dagger call build"}},
		{"missing Dockerfile", t.TempDir(), []string{"--dockerfile", "Dockerfile"}, 2, []string{"Dockerfile"}},
		{"malformed Dockerfile", writeTree(t, map[string]string{"Dockerfile": "FROM\n"}), nil, 2, []string{"Dockerfile:1"}},
		{"unknown instruction", writeTree(t, map[string]string{"Dockerfile": from + "FETCH x\n"}), nil, 2, []string{"Dockerfile:2", "FETCH"}},
		{"unresolvable base", writeTree(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/none:1\n"}), nil, 2, []string{"platform/none:1"}},
		{"symlink escaping the context", escaping, nil, 2, []string{"link", "escapes the build context"}},
		{"denied base", writeTree(t, map[string]string{"Dockerfile": from}), []string{"--policy", policyFile}, 3, []string{"CVE-2026-0001 in tzdata", "platform/static:2"}},
		{"unreadable policy", writeTree(t, map[string]string{"Dockerfile": from}), []string{"--policy", policyFile + ".missing"}, 2, []string{"policy.yaml.missing"}},
		{"unknown flag", t.TempDir(), []string{"--frobnicate"}, 2, []string{"unknown flag: --frobnicate"}},
		{"registry unreachable", writeTree(t, map[string]string{"Dockerfile": "FROM 127.0.0.1:1/platform/static:1\n"}), nil, 4, []string{"127.0.0.1:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", tc.dir, "--push", host + "/services/app"}, tc.args...)
			code, stdout, stderr := runCLI(t, args...)
			require.Equal(t, tc.wantCode, code, stderr)
			require.Empty(t, stdout)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			for _, m := range tc.wantErr {
				require.Contains(t, stderr, m)
			}
			require.NotContains(t, catalog(t, host), "services/app", "nothing pushed")
		})
	}
}

func TestBuildPushesByDigest(t *testing.T) {
	host := testRegistry(t)
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/static:1\nCOPY a /a\n", "a": "a"})
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	code, stdout, stderr := runCLI(t, "build", dir, "--push", host+"/services/app", "--output", "json")
	require.Equal(t, 0, code, stderr)
	var out buildOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.True(t, strings.HasPrefix(out.Reference, host+"/services/app@sha256:"), out.Reference)
	ref, err := nameDigest(out.Reference)
	require.NoError(t, err)
	img, err := remote.Image(ref)
	require.NoError(t, err)
	m, err := img.Manifest()
	require.NoError(t, err)
	require.Equal(t, "2023-11-14T22:13:20Z", m.Annotations["org.opencontainers.image.created"])
	require.Equal(t, host+"/platform/static:1", m.Annotations["org.opencontainers.image.base.name"])

	code, stdout2, _ := runCLI(t, "build", dir, "--push", host+"/services/app", "--output", "json")
	require.Equal(t, 0, code)
	var again buildOutput
	require.NoError(t, json.Unmarshal([]byte(stdout2), &again))
	require.Equal(t, out.Digest, again.Digest)
}

func nameDigest(s string) (name.Digest, error) { return name.NewDigest(s) }

func TestBuildChecksMinimumPavedVersion(t *testing.T) {
	host := testRegistry(t)
	dir := writeTree(t, map[string]string{
		"Dockerfile":  "FROM " + host + "/platform/static:1\n",
		"policy.yaml": "apiVersion: paved.dev/v1\nkind: PlatformPolicy\npaved:\n  minVersion: v1.4.0\n",
	})
	saved := version.Version
	t.Cleanup(func() { version.Version = saved })

	version.Version = "v1.3.2"
	code, _, stderr := runCLI(t, "build", dir, "--push", host+"/services/app", "--policy", filepath.Join(dir, "policy.yaml"))
	require.Equal(t, 3, code, stderr)
	require.Contains(t, stderr, "move to paved v1.4.0")
	require.NotContains(t, catalog(t, host), "services/app")

	version.Version = "v1.4.0"
	code, _, stderr = runCLI(t, "build", dir, "--push", host+"/services/app", "--policy", filepath.Join(dir, "policy.yaml"))
	require.Equal(t, 0, code, stderr)
}
