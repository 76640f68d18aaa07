//go:build buildkit

package build_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/buildkitd/buildkitdtest"
)

// busyDockerfile has a RUN step that stands for a package install (a shell
// loop of about a second of CPU; real installs take 10-60 s) and a COPY, so
// a cold build pulls the base and runs the step and a warm one finds both
// in the cache. A warm build still costs a session, the OCI export and its
// timestamp rewrite (about 0.1-0.2 s here), whatever the RUN steps cost.
func busyDockerfile(host string) map[string]string {
	return map[string]string{
		"Dockerfile": "FROM " + host + "/platform/shell:1\nRUN i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); done; echo $i > /count\nCOPY app.txt /app.txt\n",
		"app.txt":    strings.Repeat("app\n", 1000),
	}
}

// BenchmarkBuildKitColdVsWarm builds the same Dockerfile on a fresh daemon
// (cold: pull the base, run the step) and on a daemon that built it before
// (warm: every step cached). Daemon start-up is not timed.
func BenchmarkBuildKitColdVsWarm(b *testing.B) {
	host, _ := bkRegistry(b)
	dir := writeContext(b, busyDockerfile(host))
	build1 := func(addr string) {
		if _, err := build.BuildKit(dir, build.BuildKitConfig{Host: addr}).Build(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	var cold, warm time.Duration
	b.Run("cold", func(b *testing.B) {
		cold = 0 // b.Run calls this with b.N = 1 first
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			d := buildkitdtest.Start(b)
			b.StartTimer()
			start := time.Now()
			build1(d.Address)
			cold += time.Since(start)
			b.StopTimer()
			_ = d.Stop()
			b.StartTimer()
		}
		cold /= time.Duration(b.N)
	})
	b.Run("warm", func(b *testing.B) {
		b.StopTimer()
		d := buildkitdtest.Start(b)
		build1(d.Address)
		b.StartTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			build1(d.Address)
		}
		warm = time.Since(start) / time.Duration(b.N)
		if cold > 0 {
			b.ReportMetric(cold.Seconds()/warm.Seconds(), "x-faster-than-cold")
		}
	})
}

// BenchmarkRunlessDockerfile builds a RUN-less Dockerfile daemonless and
// through a warm BuildKit daemon.
func BenchmarkRunlessDockerfile(b *testing.B) {
	host, _ := bkRegistry(b)
	dir := writeContext(b, map[string]string{
		"Dockerfile": "FROM " + host + "/platform/shell:1\nENV APP=/app\nWORKDIR /app\nCOPY . /app/\nLABEL team=core\nUSER 65532\n",
		"a.txt":      strings.Repeat("a\n", 50000),
		"b/c.json":   `{"x": 1}`,
	})
	b.Run("daemonless", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := build.Dockerfile(dir).Build(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("buildkit", func(b *testing.B) {
		b.StopTimer()
		d := buildkitdtest.Start(b)
		b.StartTimer()
		for i := 0; i < b.N; i++ {
			if _, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address}).Build(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
