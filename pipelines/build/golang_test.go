package build_test

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/policy"
)

var goAPI = filepath.Join("..", "..", "examples", "reference-apps", "go-api")

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
	epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// staticBase pushes a two-platform static base (built from this machine's
// Debian packages) to a fresh in-process registry and returns its tag.
func staticBase(t testing.TB) string {
	t.Helper()
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []v1.Platform{amd64, arm64} {
		img, err := base.Static("/", base.Config{Platform: p, Created: epoch})
		require.NoError(t, err)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref, err := name.NewTag(host + "/platform/static:1")
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))
	return ref.String()
}

func goOptions(baseRef string, extra ...build.Option) []build.Option {
	return append([]build.Option{
		build.WithBase(baseRef),
		build.WithCreated(epoch),
		build.WithVersion("main.version", "1.2.3"),
		build.WithExtraFiles(build.ExtraFile{Src: "greetings.json", Dst: "/app/greetings.json"}),
		build.WithEnv("GREETINGS_FILE=/app/greetings.json"),
		build.WithLabels(map[string]string{"team": "platform"}),
		build.WithAnnotations(map[string]string{oci.AnnotationRevision: "abc123"}),
	}, extra...)
}

func TestGoReproducible(t *testing.T) {
	baseRef := staticBase(t)
	digest := func(opts ...build.Option) v1.Hash {
		res, err := build.Go(goAPI, goOptions(baseRef, opts...)...).Build(context.Background())
		require.NoError(t, err)
		d, err := res.Digest()
		require.NoError(t, err)
		return d
	}
	first, second := digest(), digest()
	require.Equal(t, first, second, "two builds of the same source on the same base")
	require.NotEqual(t, first, digest(build.WithCreated(epoch.Add(time.Second))), "SOURCE_DATE_EPOCH must reach the digest")
}

func TestGoImage(t *testing.T) {
	baseRef := staticBase(t)
	res, err := build.Go(goAPI, goOptions(baseRef)...).Build(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Image)
	require.Len(t, res.Bases, 1)

	cfg, err := res.Image.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, []string{"/app/go-api"}, cfg.Config.Entrypoint)
	require.Equal(t, "65532:65532", cfg.Config.User)
	require.Contains(t, cfg.Config.Env, "GREETINGS_FILE=/app/greetings.json")
	require.Contains(t, cfg.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "the base's env is kept")
	require.Equal(t, "platform", cfg.Config.Labels["team"])
	require.Equal(t, epoch, cfg.Created.Time.UTC())

	m, err := res.Image.Manifest()
	require.NoError(t, err)
	require.Equal(t, types.OCIManifestSchema1, m.MediaType)
	require.Equal(t, baseRef, m.Annotations[oci.AnnotationBaseName])
	require.Equal(t, res.Bases[0].Digest.DigestStr(), m.Annotations[oci.AnnotationBaseDigest])
	require.Equal(t, "abc123", m.Annotations[oci.AnnotationRevision])
	require.Equal(t, epoch.Format(time.RFC3339), m.Annotations[oci.AnnotationCreated])
	require.NotEmpty(t, m.Annotations[oci.AnnotationPipelineVersion])

	files := imageFiles(t, res.Image)
	greetings, err := os.ReadFile(filepath.Join(goAPI, "greetings.json"))
	require.NoError(t, err)
	require.Equal(t, string(greetings), string(files["app/greetings.json"]))
	require.Contains(t, files, "etc/ssl/certs/ca-certificates.crt", "base layer kept")

	// The binary is the real service, stamped with its version.
	bin := filepath.Join(t.TempDir(), "go-api")
	require.NoError(t, os.WriteFile(bin, files["app/go-api"], 0o755))
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "golang.org/x/text\tv0.3.8")
	require.NotContains(t, string(out), "GOEXPERIMENT", "paved's own GOEXPERIMENT must not reach the service")
	version, err := exec.Command(bin, "-version").Output()
	require.NoError(t, err)
	require.Equal(t, "1.2.3\n", string(version))
	require.Contains(t, string(out), "CGO_ENABLED=0")
	require.Contains(t, string(out), "-trimpath=true")
}

// TestGoOnScratch: a Go service may build FROM scratch; it has no base to
// record or annotate.
func TestGoOnScratch(t *testing.T) {
	res, err := build.Go(goAPI, goOptions(build.Scratch)...).Build(context.Background())
	require.NoError(t, err)
	require.Empty(t, res.Bases)
	m, err := res.Image.Manifest()
	require.NoError(t, err)
	require.NotContains(t, m.Annotations, oci.AnnotationBaseName)
	require.Contains(t, imageFiles(t, res.Image), "app/go-api")
}

func TestGoMultiPlatform(t *testing.T) {
	baseRef := staticBase(t)
	res, err := build.Go(goAPI, goOptions(baseRef, build.WithPlatforms(amd64, arm64))...).Build(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Index)
	im, err := res.Index.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 2)
	require.Equal(t, baseRef, im.Annotations[oci.AnnotationBaseName])
	for i, want := range []v1.Platform{amd64, arm64} {
		require.Equal(t, want.Architecture, im.Manifests[i].Platform.Architecture)
		img, err := res.Index.Image(im.Manifests[i].Digest)
		require.NoError(t, err)
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		require.Equal(t, want.Architecture, cfg.Architecture)
	}
}

func TestGoRefusals(t *testing.T) {
	baseRef := staticBase(t)
	broken := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module broken\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "greetings.json"), []byte("{}"), 0o644))
	denied := &policy.Policy{Bases: policy.Bases{Denied: []policy.Denial{{
		Image: baseRef, Reason: "CVE-2026-0001 in tzdata", Replacement: "registry.example/platform/static:2",
	}}}}
	tests := []struct {
		name     string
		dir      string
		opts     []build.Option
		wantKind failure.Kind
		wantMsg  []string
	}{
		{"no base", goAPI, []build.Option{build.WithBase("")}, failure.BadInput, []string{"no base image"}},
		{"no go.mod", t.TempDir(), nil, failure.BadInput, []string{"no go.mod"}},
		{"compile error", broken, nil, failure.BadInput, []string{"compiling", "undefined"}},
		{"unknown base", goAPI, []build.Option{build.WithBase(strings.Replace(baseRef, "static:1", "nope:1", 1))}, failure.BadInput, []string{"resolving base image", "nope:1"}},
		{"denied base", goAPI, []build.Option{build.WithPolicy(denied)}, failure.Policy, []string{"CVE-2026-0001 in tzdata", "registry.example/platform/static:2"}},
		{"extra file escapes", goAPI, []build.Option{build.WithExtraFiles(build.ExtraFile{Src: "../../../go.mod"})}, failure.BadInput, []string{"escapes the build context"}},
		{"wrong platform", goAPI, []build.Option{build.WithPlatforms(v1.Platform{OS: "linux", Architecture: "s390x"})}, failure.BadInput, []string{"no linux/s390x image"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := build.Go(tc.dir, goOptions(baseRef, tc.opts...)...).Build(context.Background())
			require.Error(t, err)
			require.Equal(t, tc.wantKind, failure.KindOf(err), err.Error())
			for _, m := range tc.wantMsg {
				require.Contains(t, err.Error(), m)
			}
		})
	}
}
