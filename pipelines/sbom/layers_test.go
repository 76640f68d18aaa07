package sbom

import (
	"context"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
)

// wholeImage is the SBOM of img as Syft makes it from the whole image,
// encoded in format.
func wholeImage(t *testing.T, img v1.Image, format Format) []byte {
	t.Helper()
	ctx, err := withLicenseScanner(context.Background())
	require.NoError(t, err)
	s := catalogWith(t, ctx, img)
	loaded, err := Image(img, "registry.example/app").load(ctx, makeOptions(nil))
	require.NoError(t, err)
	doc, err := encode(*s, format, documentMeta{created: time.Unix(0, 0).UTC(), imageDigest: loaded.digest.String()})
	require.NoError(t, err)
	return doc
}

// TestLayeredCatalogueIsTheWholeImages proves that cataloguing layer by
// layer and merging gives the document Syft gives for the whole image.
func TestLayeredCatalogueIsTheWholeImages(t *testing.T) {
	img := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	for _, format := range Formats {
		t.Run(string(format), func(t *testing.T) {
			want := wholeImage(t, img, format)
			res, err := Generate(context.Background(), Image(img, "registry.example/app"), format, WithCreated(time.Unix(0, 0)))
			require.NoError(t, err)
			require.Equal(t, string(want), string(res.Document))
		})
	}
}
