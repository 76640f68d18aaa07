package build_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
)

// TestGoLinksOnlyWhatChanged: a second build of unchanged input finds its
// binary up to date in its slot and links nothing; builds of other
// versions of the same service, at the same time, each get their own
// binary.
func TestGoLinksOnlyWhatChanged(t *testing.T) {
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	require.NoError(t, err)
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache))) // the compiled packages stay warm
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	// The go command, logging what it runs (-x).
	log := filepath.Join(t.TempDir(), "go-x.log")
	gox := filepath.Join(t.TempDir(), "go")
	require.NoError(t, os.WriteFile(gox, []byte("#!/bin/sh\ncmd=$1; shift\nexec go \"$cmd\" -x \"$@\" 2>>"+log+"\n"), 0o755))
	links := func() int {
		data, err := os.ReadFile(log)
		require.NoError(t, err)
		return strings.Count(string(data), "/link -o ")
	}
	baseRef := staticBase(t)
	built := func(version string) []byte {
		res, err := build.Go(goAPI, goOptions(baseRef, build.WithVersion("main.version", version), build.WithGoBinary(gox))...).Build(context.Background())
		require.NoError(t, err)
		return imageFiles(t, res.Image)["app/go-api"]
	}
	first := built("1.2.3")
	require.Equal(t, 1, links())
	slots, err := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "paved", "go-bin", "*", "app"))
	require.NoError(t, err)
	require.Len(t, slots, 1, "one slot per service and platform")

	require.Equal(t, first, built("1.2.3"))
	require.Equal(t, 1, links(), "unchanged input must not be linked again")

	versions := []string{"2.0.0", "2.0.1", "1.2.3", "2.0.2"}
	bins := make([][]byte, len(versions))
	var wg sync.WaitGroup
	for i, v := range versions {
		wg.Go(func() { bins[i] = built(v) })
	}
	wg.Wait()
	for i, v := range versions {
		bin := filepath.Join(t.TempDir(), "go-api")
		require.NoError(t, os.WriteFile(bin, bins[i], 0o755))
		out, err := exec.Command(bin, "-version").Output()
		require.NoError(t, err)
		require.Equal(t, v+"\n", string(out), "the binary of version %s", v)
	}
	require.Equal(t, first, bins[2], "the same version links the same bytes")
	// Each new version is linked; 1.2.3 again when another version took
	// the slot before it.
	require.GreaterOrEqual(t, links(), 4)
}
