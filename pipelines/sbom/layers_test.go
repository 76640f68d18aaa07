package sbom

import (
	"bytes"
	"context"
	"encoding/json"
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

// TestFromDocument reads back the summary Generate gave.
func TestFromDocument(t *testing.T) {
	img := testimage.New(t, testimage.Options{NoGoBinary: true})
	want, err := Generate(context.Background(), Image(img, "registry.example/app"), CycloneDXJSON)
	require.NoError(t, err)
	got, err := FromDocument(want.Document, want.Image, want.ImageDigest)
	require.NoError(t, err)
	want.Layers = Layers{}
	require.Equal(t, want, got)
	// As an attestation carries it: compacted; the same bytes come back.
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, want.Document))
	got, err = FromDocument(compact.Bytes(), want.Image, want.ImageDigest)
	require.NoError(t, err)
	require.Equal(t, want, got)

	spdx, err := Generate(context.Background(), Image(img, "registry.example/app"), SPDXJSON)
	require.NoError(t, err)
	_, err = FromDocument(spdx.Document, want.Image, want.ImageDigest)
	require.ErrorIs(t, err, ErrNotCycloneDX)
}
