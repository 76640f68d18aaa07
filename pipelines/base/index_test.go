package base_test

import (
	"archive/tar"
	"errors"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/base"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestStaticIndex: two platforms give an OCI index of two images, each
// with its own platform in the index and in its config, and dpkg stanzas
// naming its architecture (what a scanner reads); the files are the same.
func TestStaticIndex(t *testing.T) {
	platforms := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
	idx, err := base.StaticIndex("/", cfg, platforms)
	require.NoError(t, err)
	mt, err := idx.MediaType()
	require.NoError(t, err)
	require.Equal(t, types.OCIImageIndex, mt)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 2)
	for i, want := range []struct{ arch, variant, dpkg string }{{"amd64", "", "amd64"}, {"arm64", "v8", "arm64"}} {
		desc := im.Manifests[i]
		require.Equal(t, "linux", desc.Platform.OS)
		require.Equal(t, want.arch, desc.Platform.Architecture)
		img, err := idx.Image(desc.Digest)
		require.NoError(t, err)
		c, err := img.ConfigFile()
		require.NoError(t, err)
		require.Equal(t, []string{"linux", want.arch, want.variant}, []string{c.OS, c.Architecture, c.Variant})
		stanza := fileContent(t, img, "var/lib/dpkg/status.d/base-files")
		require.Contains(t, stanza, "\nArchitecture: "+want.dpkg+"\n", "the dpkg entry names the image's architecture")
		require.Contains(t, fileContent(t, img, "var/lib/dpkg/status.d/tzdata"), "\nArchitecture: all\n", "an all-architecture package stays all")
	}
}

func TestStaticRefusesAPlatformWithoutDebianPort(t *testing.T) {
	_, err := base.StaticIndex("/", cfg, []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "windows", Architecture: "amd64"}})
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), `platform "windows/amd64": Debian has no such port`)
}

// fileContent returns the content of one file of img's filesystem.
func fileContent(t *testing.T, img v1.Image, name string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("no %s in the image", name)
		}
		require.NoError(t, err)
		if strings.TrimPrefix(h.Name, "/") == name {
			data, err := io.ReadAll(tr)
			require.NoError(t, err)
			return string(data)
		}
	}
}
