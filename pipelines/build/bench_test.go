package build_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/publish"
)

// BenchmarkGoAPIBuild builds the go-api reference app on the static base and
// pushes it to an in-process registry, reporting the split of each run into
// compile, layer and push seconds and the image's compressed size.
func BenchmarkGoAPIBuild(b *testing.B) {
	baseRef := staticBase(b)
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	pub, err := publish.Registry(strings.TrimPrefix(reg.URL, "http://")+"/services/go-api", nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var compile, layer, push float64
	var size int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A new creation time each run, so every push uploads a new image.
		opts := goOptions(baseRef, build.WithCreated(epoch.Add(time.Duration(i)*time.Second)))
		res, err := build.Go(goAPI, opts...).Build(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := publish.All(context.Background(), publish.Artifact{Image: res.Image}, pub); err != nil {
			b.Fatal(err)
		}
		push += time.Since(start).Seconds()
		compile += res.Timings["compile"]
		layer += res.Timings["layer"]
		size = imageSize(b, res)
	}
	n := float64(b.N)
	b.ReportMetric(compile/n, "compile-s/op")
	b.ReportMetric(layer/n, "layer-s/op")
	b.ReportMetric(push/n, "push-s/op")
	b.ReportMetric(float64(size)/1e6, "image-MB")
}

func imageSize(b *testing.B, res *build.Result) int64 {
	m, err := res.Image.Manifest()
	if err != nil {
		b.Fatal(err)
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total
}
