// Package smoketest gives tests what smoke needs on this machine: root and
// a runc binary (installed from Debian with apt-get when missing), and the
// approved Debian bases built by hack/bases/build.sh (cached, so only the
// first run fetches packages). Tests that use it fail loudly instead of
// skipping when a container cannot run here.
package smoketest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var installRunc sync.Once

// Runc returns the runc binary, installing Debian's runc package first when
// it is missing. It fails t when this is not root: runc needs it, and the
// tests that call this must not pass by skipping.
func Runc(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("smoke tests start containers with runc and need root: run them as root (hack/bases/test.sh), " +
			"or elsewhere start the images with docker/podman run --network host and curl their health endpoints")
	}
	installRunc.Do(func() {
		if _, err := exec.LookPath("runc"); err == nil {
			return
		}
		for _, args := range [][]string{{"install", "-y", "--no-install-recommends", "runc"}, {"update"}, {"install", "-y", "--no-install-recommends", "runc"}} {
			out, err := exec.Command("apt-get", args...).CombinedOutput()
			if err == nil && args[0] == "install" {
				return
			}
			if err != nil && args[0] == "update" {
				t.Logf("apt-get update: %v\n%s", err, out)
			}
		}
	})
	path, err := exec.LookPath("runc")
	if err != nil {
		t.Fatalf("runc is missing and apt-get install runc failed: %v", err)
	}
	return path
}

// Bases returns the cached rootfs tarballs of the named approved bases
// (python-base, node-base), building them with hack/bases/build.sh when the
// cache has none.
func Bases(t testing.TB, names ...string) map[string]string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "hack", "bases", "build.sh")
	var stderr bytes.Buffer
	cmd := exec.Command(script, append([]string{"--rootfs-only"}, names...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running %s: %v\n%s", script, err, stderr.String())
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, tarball, ok := strings.Cut(line, " "); ok {
			got[name] = tarball
		}
	}
	for _, n := range names {
		if got[n] == "" {
			t.Fatalf("%s printed no tarball for %s:\n%s", script, n, out)
		}
	}
	return got
}
