package sbom_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// BenchmarkBaseCampaign100 is the SBOM work of a base campaign: 100
// services on one new base, each with a layer of its own, catalogued with
// the layer cache (the base once, then each service's layer) and without
// it (the base 100 times; measured on PAVED_CAMPAIGN_SBOM_SAMPLE services,
// default 3, and scaled to 100). The base is the rootfs tarball
// PAVED_BENCH_BASE_ROOTFS (hack/bench.sh passes the node base when it is
// cached), else the test image's Debian, Python and npm layers. It reports
// seconds and layers catalogued for each.
func BenchmarkBaseCampaign100(b *testing.B) {
	const services = 100
	base := campaignBase(b)
	images := make([]v1.Image, services)
	for i := range images {
		img, err := mutate.AppendLayers(base, serviceLayer(b, i))
		if err != nil {
			b.Fatal(err)
		}
		images[i] = img
	}
	sample := 3
	if v, err := strconv.Atoi(os.Getenv("PAVED_CAMPAIGN_SBOM_SAMPLE")); err == nil && v > 0 {
		sample = min(v, services)
	}
	ctx := context.Background()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		cache, err := sbom.OpenLayerCache(b.TempDir(), 0)
		if err != nil {
			b.Fatal(err)
		}
		cached, cachedLayers := campaign(b, ctx, images, cache)
		plain, plainLayers := campaign(b, ctx, images[:sample], nil)
		scale := float64(services) / float64(sample)
		b.ReportMetric(cached.Seconds(), "s-with-cache")
		b.ReportMetric(float64(cachedLayers), "layers-with-cache")
		b.ReportMetric(plain.Seconds()*scale, "s-without-cache")
		b.ReportMetric(float64(plainLayers)*scale, "layers-without-cache")
	}
}

// campaign generates the SBOM of every image and returns the time taken
// and the number of layers catalogued (not read from the cache).
func campaign(b *testing.B, ctx context.Context, images []v1.Image, cache *sbom.LayerCache) (time.Duration, int) {
	start := time.Now()
	layers := 0
	for i, img := range images {
		res, err := sbom.Generate(ctx, sbom.Image(img, fmt.Sprintf("registry.example/svc-%d", i)), sbom.CycloneDXJSON, sbom.WithLayerCache(cache))
		if err != nil {
			b.Fatal(err)
		}
		layers += res.Layers.Total - res.Layers.Cached
	}
	return time.Since(start), layers
}

func campaignBase(b *testing.B) v1.Image {
	rootfs := os.Getenv("PAVED_BENCH_BASE_ROOTFS")
	if rootfs == "" {
		return testimage.New(b, testimage.Options{NoGoBinary: true})
	}
	layer, err := tarball.LayerFromFile(rootfs)
	if err != nil {
		b.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// serviceLayer is service i's own layer: an npm package of its own.
func serviceLayer(b *testing.B, i int) v1.Layer {
	manifest := fmt.Sprintf(`{"name": "svc-%d", "version": "1.0.%d", "license": "MIT"}`, i, i)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "app/package.json", Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg}); err != nil {
		b.Fatal(err)
	}
	if _, err := io.WriteString(tw, manifest); err != nil {
		b.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		b.Fatal(err)
	}
	return layer
}
