//go:build buildkit

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/buildkitd/buildkitdtest"
)

func pushShellBase(t *testing.T, host string) {
	t.Helper()
	img, err := buildkitdtest.ShellBase()
	require.NoError(t, err)
	tag, err := name.NewTag(host + "/platform/shell:1")
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
}

func TestBuildThroughBuildKit(t *testing.T) {
	d := buildkitdtest.Start(t)
	host := testRegistry(t)
	pushShellBase(t, host)
	policyFile := writeTree(t, map[string]string{"policy.yaml": "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\"" + host + "/platform/*\"]\n"}) + "/policy.yaml"
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/shell:1\nARG VERSION\n" +
		"RUN --mount=type=secret,id=npm,env=NPM_TOKEN test -n \"$NPM_TOKEN\" && echo \"$VERSION\" > /version.txt\n"})
	t.Setenv("PAVED_TEST_NPM_TOKEN", "npm-secret-value-42")
	t.Setenv("BUILDKIT_HOST", d.Address)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")

	code, stdout, stderr := runCLI(t, "build", dir, "--push", host+"/services/app", "--policy", policyFile,
		"--build-arg", "VERSION=1.2.3", "--secret", "id=npm,env=PAVED_TEST_NPM_TOKEN",
		"--cache-to", "type=registry,ref="+host+"/cache/app:buildcache", "--output", "json")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stdout+stderr, "npm-secret-value-42")
	var out buildOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.True(t, strings.HasPrefix(out.Reference, host+"/services/app@sha256:"), out.Reference)
	require.Equal(t, d.Version, out.Builder[build.BuilderBuildKitVersion])
	require.Equal(t, "dockerfile.v0", out.Builder[build.BuilderFrontend])
	require.Len(t, out.Bases, 1)
	ref, err := name.NewDigest(out.Reference)
	require.NoError(t, err)
	img, err := remote.Image(ref)
	require.NoError(t, err)
	require.NoError(t, validate.Image(img))
	require.Contains(t, catalog(t, host), "cache/app", "the registry cache was exported")

	t.Run("failing RUN exits 2 and pushes nothing", func(t *testing.T) {
		bad := writeTree(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/shell:1\nRUN echo 'no such target' >&2; exit 2\n"})
		code, stdout, stderr := runCLI(t, "build", bad, "--push", host+"/services/bad")
		require.Equal(t, 2, code, stderr)
		require.Empty(t, stdout)
		// Step output streams to stderr first; the error is its last line.
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		last := lines[len(lines)-1]
		require.True(t, strings.HasPrefix(last, "paved: "), stderr)
		require.Contains(t, last, "Dockerfile:2")
		require.Contains(t, last, "no such target")
		require.NotContains(t, catalog(t, host), "services/bad")
	})
}

// lockedBuffer is a bytes.Buffer safe for a command writing while the
// test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestBuildKitServe(t *testing.T) {
	bin, err := buildkitdtest.Install()
	require.NoError(t, err)
	host := testRegistry(t)
	pushShellBase(t, host)
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"buildkit", "serve", "--root", root, "--buildkitd", filepath.Join(bin, "buildkitd")}, &stdout, &stderr)
	}()
	var addr string
	require.Eventually(t, func() bool {
		for _, l := range strings.Split(stdout.String(), "\n") {
			if a, ok := strings.CutPrefix(l, "BUILDKIT_HOST="); ok {
				addr = a
				return true
			}
		}
		return false
	}, 2*time.Minute, 100*time.Millisecond, "stderr: %s", stderr.String())
	require.Equal(t, "unix://"+filepath.Join(root, "buildkitd.sock"), addr)

	dir := writeTree(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/shell:1\nRUN echo served > /served.txt\n"})
	code, out, errOut := runCLI(t, "build", dir, "--buildkit-host", addr, "--push", host+"/services/served")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, host+"/services/served@sha256:"), out)

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("paved buildkit serve did not stop")
	}
}
