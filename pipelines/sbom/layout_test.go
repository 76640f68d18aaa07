package sbom_test

import (
	"context"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// twoImages are distinguishable by their npm packages.
func twoImages(t *testing.T) (amd64, arm64 v1.Image) {
	amd64 = testimage.New(t, testimage.Options{NoGoBinary: true, NPM: []testimage.Package{{Name: "lodash", Version: "4.17.20"}}})
	arm64 = testimage.New(t, testimage.Options{NoGoBinary: true, NPM: []testimage.Package{{Name: "left-pad", Version: "1.3.0"}, {Name: "lodash", Version: "4.17.21"}}})
	return amd64, arm64
}

func TestGenerateLayoutIndexPicksPlatform(t *testing.T) {
	amd64, arm64 := twoImages(t)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	require.NoError(t, err)
	require.NoError(t, p.AppendIndex(idx))

	tests := []struct {
		name     string
		opts     []sbom.Option
		image    v1.Image
		npmCount int
	}{
		{"default platform", nil, amd64, 1},
		{"linux/arm64", []sbom.Option{sbom.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"})}, arm64, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := sbom.Generate(context.Background(), sbom.Layout(dir), sbom.CycloneDXJSON, tt.opts...)
			require.NoError(t, err)
			want, err := tt.image.Digest()
			require.NoError(t, err)
			require.Equal(t, want.String(), res.ImageDigest)
			require.Equal(t, tt.npmCount, res.Packages["npm"])
		})
	}

	_, err = sbom.Generate(context.Background(), sbom.Layout(dir), sbom.CycloneDXJSON, sbom.WithPlatform(v1.Platform{OS: "linux", Architecture: "s390x"}))
	require.ErrorContains(t, err, "no image for platform linux/s390x")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

func TestGenerateLayoutWithTwoImages(t *testing.T) {
	amd64, arm64 := twoImages(t)
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	require.NoError(t, err)
	require.NoError(t, p.AppendImage(amd64))
	require.NoError(t, p.AppendImage(arm64))

	_, err = sbom.Generate(context.Background(), sbom.Layout(dir), sbom.SPDXJSON)
	require.ErrorContains(t, err, "the layout holds 2 images")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}
