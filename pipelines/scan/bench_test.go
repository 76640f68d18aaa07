package scan_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/scan"
)

// BenchmarkSBOMThenScan compares the two ways a pipeline can get both an
// SBOM and a vulnerability scan of one image (the image with x/text v0.3.7,
// Python and npm packages, in an OCI layout):
//
//   - from-sbom: Syft SBOM, then Trivy scans the SBOM (layers read once);
//   - independent: Syft SBOM, and Trivy scans the image's layers again.
//
// It reports the mean time of each (ms), their ratio (independent /
// from-sbom; > 1 means reading the SBOM is cheaper) and the peak Go heap of
// each (MiB, sampled every millisecond).
func BenchmarkSBOMThenScan(b *testing.B) {
	img := testimage.New(b, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	layout := testimage.WriteLayout(b, img)
	db := fixtureDB(b)
	dir := b.TempDir()
	ctx := context.Background()

	fromSBOM := func() {
		res, err := sbom.Generate(ctx, sbom.Layout(layout), sbom.CycloneDXJSON)
		require.NoError(b, err)
		file := filepath.Join(dir, "sbom.json")
		require.NoError(b, os.WriteFile(file, res.Document, 0o644))
		r, _ := scan.SBOM(ctx, file, scan.WithDBDir(db))
		require.NotNil(b, r)
	}
	independent := func() {
		_, err := sbom.Generate(ctx, sbom.Layout(layout), sbom.CycloneDXJSON)
		require.NoError(b, err)
		r, _ := scan.Image(ctx, layout, scan.WithDBDir(db))
		require.NotNil(b, r)
	}
	var tSBOM, tImage time.Duration
	var peakSBOM, peakImage uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, p := measure(fromSBOM)
		tSBOM += d
		peakSBOM = max(peakSBOM, p)
		d, p = measure(independent)
		tImage += d
		peakImage = max(peakImage, p)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tSBOM.Milliseconds())/n, "from-sbom-ms")
	b.ReportMetric(float64(tImage.Milliseconds())/n, "independent-ms")
	b.ReportMetric(float64(tImage)/float64(tSBOM), "independent/from-sbom")
	b.ReportMetric(float64(peakSBOM)/(1<<20), "from-sbom-peak-heap-MiB")
	b.ReportMetric(float64(peakImage)/(1<<20), "independent-peak-heap-MiB")
}

// measure runs f and returns its wall time and the peak live heap seen
// while it ran.
func measure(f func()) (time.Duration, uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	f()
	d := time.Since(start)
	close(done)
	return d, peak.Load()
}
