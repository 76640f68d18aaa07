package sbom_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// BenchmarkGenerate catalogs the test image (Debian packages, a Go binary,
// Python and npm packages) from an OCI layout, as the pipeline does after a
// build. It reports the peak Go heap (peak-heap-MB, sampled from
// runtime.MemStats after each run) and the process's peak resident set
// (VmHWM-MB, from /proc/self/status; it includes the test binary itself).
func BenchmarkGenerate(b *testing.B) {
	for _, format := range sbom.Formats {
		b.Run(string(format), func(b *testing.B) {
			dir := testimage.WriteLayout(b, testImage(b))
			runtime.GC()
			stop := sampleHeap()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := sbom.Generate(context.Background(), sbom.Layout(dir), format); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
			if hwm := vmHWM(); hwm > 0 {
				b.ReportMetric(float64(hwm)/1024, "VmHWM-MB")
			}
		})
	}
}

// sampleHeap samples HeapInuse until the returned function is called,
// which returns the highest value seen, in bytes.
func sampleHeap() func() uint64 {
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var top uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapInuse)
			select {
			case <-done:
				peak <- top
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}

// vmHWM returns the process's peak resident set size in KiB, or 0 where
// /proc is not available.
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
