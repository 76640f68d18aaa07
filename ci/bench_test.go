package ci

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/release/candidate"
)

// benchVersion is the version the benchmarks release and install.
const benchVersion = "v1.0.0"

// BenchmarkInstall is a wrapper's install step (ci/install.sh: download,
// verify the signature and checksums, unpack, run paved version) of a real
// paved built from this tree the way publish builds it, served over
// loopback HTTP: cold (an empty cache, what a runner's first job of a
// version pays) and cached (actions/cache or GitLab's cache restored).
// Loopback has no network latency: archive-MiB says what a real runner
// downloads on top.
func BenchmarkInstall(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "paved")
	require.NoError(b, candidate.Build(context.Background(), "..", benchVersion, bin, os.Environ()))
	data, err := os.ReadFile(bin)
	require.NoError(b, err)
	r := serveRelease(b, benchVersion, data)
	st, err := os.Stat(filepath.Join(r.dir, r.archive))
	require.NoError(b, err)

	b.Run("cold", func(b *testing.B) {
		var cpu time.Duration
		for b.Loop() {
			res := install(b, r.env(b, b.TempDir())...)
			require.Equal(b, 0, res.code, res.stderr)
			cpu += res.cpu
		}
		b.ReportMetric(cpu.Seconds()/float64(b.N), "CPU-s/op")
		b.ReportMetric(float64(st.Size())/(1<<20), "archive-MiB")
	})
	b.Run("cached", func(b *testing.B) {
		cache := b.TempDir()
		res := install(b, r.env(b, cache)...)
		require.Equal(b, 0, res.code, res.stderr)
		var cpu time.Duration
		for b.Loop() {
			res := install(b, r.env(b, cache)...)
			require.Equal(b, 0, res.code, res.stderr)
			require.Contains(b, res.stderr, "from the cache")
			cpu += res.cpu
		}
		b.ReportMetric(cpu.Seconds()/float64(b.N), "CPU-s/op")
	})
}

// BenchmarkGoInstallCold is what the install replaces: every job compiling
// paved, as 'go install …/cmd/paved@vX' on a runner without Go caches does
// (setup-go with cache: false): an empty module cache (every module is
// downloaded from GOPROXY) and an empty build cache. It reports the CPU
// time, the peak memory of one process (the compiler or linker) and the
// megabytes of modules downloaded. PAVED_BENCH_GO_INSTALL=0 skips it (about
// 15 CPU-minutes).
func BenchmarkGoInstallCold(b *testing.B) {
	if os.Getenv("PAVED_BENCH_GO_INSTALL") == "0" {
		b.Skip("PAVED_BENCH_GO_INSTALL=0")
	}
	var cpu time.Duration
	var peakKiB int64
	var modBytes int64
	for b.Loop() {
		b.StopTimer()
		tmp := b.TempDir()
		modCache, goCache := filepath.Join(tmp, "mod"), filepath.Join(tmp, "build")
		cmd := exec.Command("go", append(candidate.BuildArgs(benchVersion), "-o", filepath.Join(tmp, "paved"), "./cmd/paved")...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), append(candidate.BuildEnv,
			"GOMODCACHE="+modCache, "GOCACHE="+goCache, "GOFLAGS=-modcacherw")...)
		b.StartTimer()
		out, err := cmd.CombinedOutput()
		b.StopTimer()
		require.NoError(b, err, "%s", out)
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peakKiB = max(peakKiB, ru.Maxrss)
		}
		modBytes = max(modBytes, dirSize(b, filepath.Join(modCache, "cache", "download")))
		b.StartTimer()
	}
	b.ReportMetric(cpu.Minutes()/float64(b.N), "CPU-min/op")
	b.ReportMetric(float64(peakKiB)/(1<<20), "peak-GiB")
	b.ReportMetric(float64(modBytes)/(1<<20), "downloaded-MiB")
}

// dirSize is the size of the files under dir.
func dirSize(tb testing.TB, dir string) int64 {
	var n int64
	require.NoError(tb, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	}))
	return n
}
