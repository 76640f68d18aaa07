package candidate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckIsolatedEnv: a run sees neither the CI's secrets nor the
// developer's HOME: only PATH, the shared caches, GOEXPERIMENT and the key's
// password, with a HOME of its own under the run's directory.
func TestCheckIsolatedEnv(t *testing.T) {
	cand := &fakePaved{user: "0"}
	o := options(t, fakeRunner{"baseline": &fakePaved{user: "0"}, "candidate": cand}, true)
	o.Env = SharedCaches([]string{"PATH=/usr/bin", "HOME=/home/dev", "GITHUB_TOKEN=ghp_secret", "REGISTRY_PASSWORD=hunter2",
		"COSIGN_PASSWORD=pw", "GOEXPERIMENT=jsonv2"})
	_, err := Check(context.Background(), o)
	require.NoError(t, err)
	env := strings.Join(cand.env, "\n")
	require.NotContains(t, env, "ghp_secret")
	require.NotContains(t, env, "hunter2")
	require.Contains(t, cand.env, "PATH=/usr/bin")
	require.Contains(t, cand.env, "COSIGN_PASSWORD=pw")
	require.Contains(t, cand.env, "GOEXPERIMENT=jsonv2")
	require.Contains(t, cand.env, "GOCACHE=/home/dev/.cache/go-build")
	require.Contains(t, cand.env, "GOMODCACHE=/home/dev/go/pkg/mod")
	require.Contains(t, cand.env, "npm_config_cache=/home/dev/.npm")
	home := lookup(cand.env, "HOME")
	// Every run of an app happens in its one run directory (the same paths
	// for baseline and candidate), kept afterwards as LABEL/attempt-N.
	require.Equal(t, filepath.Join(o.WorkDir, "go-api", "run", "home"), home)
	require.DirExists(t, filepath.Join(o.WorkDir, "go-api", "candidate", "attempt-1", "home"))
	require.DirExists(t, filepath.Join(o.WorkDir, "go-api", "baseline", "attempt-1", "home"))
	require.Equal(t, filepath.Join(home, ".cache"), lookup(cand.env, "XDG_CACHE_HOME"))
}

func TestSharedCaches(t *testing.T) {
	env := SharedCaches([]string{"HOME=/h", "XDG_CACHE_HOME=/c", "GOPATH=/g1:/g2", "GOMODCACHE=/m"})
	require.Equal(t, "/c/go-build", lookup(env, "GOCACHE"))
	require.Equal(t, "/m", lookup(env, "GOMODCACHE"))
	require.Equal(t, "/h/.npm", lookup(env, "npm_config_cache"))
	require.Equal(t, "/h/.config/go/env", lookup(env, "GOENV"), "go env -w settings survive the run's own HOME")
}
