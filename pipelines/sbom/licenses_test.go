package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	syftsbom "github.com/anchore/syft/syft/sbom"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
)

// mitText is the MIT license as a Debian copyright file carries it without
// machine-readable "License:" fields, so Syft must classify the text.
const mitText = `Copyright (c) 2020 Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`

// withFiles appends a layer of regular files (path → content) to img.
func withFiles(t *testing.T, img v1.Image, files map[string]string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for path, content := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: path, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	require.NoError(t, err)
	img, err = mutate.AppendLayers(img, layer)
	require.NoError(t, err)
	return img
}

// catalogWith catalogs img with the license scanner ctx carries.
func catalogWith(t *testing.T, ctx context.Context, img v1.Image) *syftsbom.SBOM {
	t.Helper()
	loaded, err := Image(img, "registry.example/app").load(ctx, makeOptions(nil))
	require.NoError(t, err)
	simg, cleanup, err := loaded.read()
	require.NoError(t, err)
	defer cleanup()
	s, err := loaded.catalog(ctx, simg)
	require.NoError(t, err)
	return s
}

// licenses lists every package's licenses as "name: value spdx-expression".
func licenses(s *syftsbom.SBOM) []string {
	var out []string
	for p := range s.Artifacts.Packages.Enumerate() {
		for _, l := range p.Licenses.ToSlice() {
			out = append(out, p.Name+": "+l.Value+" "+l.SPDXExpression)
		}
	}
	return out
}

// TestLazyLicenseScanner proves the lazy scanner gives what Syft's own
// eager scanner gives, classifies nothing for an image without license
// texts, and classifies a text when there is one.
func TestLazyLicenseScanner(t *testing.T) {
	plain := testimage.New(t, testimage.Options{NoGoBinary: true})
	before := classified.Load()
	lazyCtx, err := withLicenseScanner(context.Background())
	require.NoError(t, err)
	catalogWith(t, lazyCtx, plain)
	require.Equal(t, before, classified.Load(), "an image without license texts needs no classification")

	withText := withFiles(t, plain, map[string]string{"usr/share/doc/zlib1g/copyright": mitText})
	eagerCtx, err := syft.SetContextLicenseScanner(context.Background(), cataloging.DefaultLicenseConfig())
	require.NoError(t, err)
	want := licenses(catalogWith(t, eagerCtx, withText))
	got := licenses(catalogWith(t, lazyCtx, withText))
	require.Contains(t, want, "zlib1g: MIT MIT", "Syft classifies the copyright text")
	require.ElementsMatch(t, want, got)
	require.Greater(t, classified.Load(), before, "the lazy scanner classified the text")
}
