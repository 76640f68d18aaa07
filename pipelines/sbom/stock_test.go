//go:build stock

package sbom_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// TestSamePackagesAsStockSyft compares the package set of paved's SBOM,
// catalogued layer by layer, cold and from the layer cache, with the one
// stock syft (hack/tools.sh syft, the Syft release paved embeds) finds on
// the whole image, on images whose upper layers delete, hide and rewrite
// what the lower ones hold. make sbom-stock-test runs it; it fails, never
// skips, when syft cannot run.
func TestSamePackagesAsStockSyft(t *testing.T) {
	out, err := exec.Command(filepath.Join("..", "..", "hack", "tools.sh"), "syft").Output()
	require.NoError(t, err, "hack/tools.sh syft")
	syft := string(bytes.TrimSpace(out))
	base := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	images := map[string]v1.Image{
		"base, dependencies, Go binary": base,
		"a whiteout deletes a Python distribution": appendTar(t, base, map[string]string{
			testimage.PythonSitePackages + "/.wh.requests-2.31.0.dist-info": "",
		}),
		"an opaque directory hides node_modules, a new package in it": appendTar(t, base, map[string]string{
			testimage.NodeModules + "/.wh..wh..opq":          "",
			testimage.NodeModules + "/left-pad/package.json": `{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}`,
		}),
		"the dpkg database is written again with one package": appendTar(t, base, map[string]string{
			testimage.DpkgStatusPath: "Package: tzdata\nStatus: install ok installed\nPriority: optional\nSection: localization\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: all\nVersion: 2025b-0+deb12u2\nDescription: time zone and daylight-saving time data\n",
		}),
	}
	cache, err := sbom.OpenLayerCache(t.TempDir(), 0)
	require.NoError(t, err)
	for name, img := range images {
		t.Run(name, func(t *testing.T) {
			dir := testimage.WriteLayout(t, img)
			cmd := exec.Command(syft, "scan", "oci-dir:"+dir, "-o", "spdx-json", "-q")
			cmd.Env = append(cmd.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false")
			stock, err := cmd.Output()
			require.NoError(t, err, "stock syft")
			want := sorted(spdxPurls(t, stock))
			require.NotEmpty(t, want)
			for _, pass := range []string{"cold", "from the layer cache"} {
				res, err := sbom.Generate(context.Background(), sbom.Layout(dir), sbom.SPDXJSON, sbom.WithLayerCache(cache))
				require.NoError(t, err)
				require.Equal(t, want, sorted(spdxPurls(t, res.Document)), pass)
			}
		})
	}
}

func sorted(s []string) []string { sort.Strings(s); return s }

// spdxPurls lists the package URLs of an SPDX document but the image's own
// (pkg:oci/NAME, named after the source as each was given it). The stock
// syft built by hack/tools.sh names no version of its own, so the
// document's tool is not compared.
func spdxPurls(t *testing.T, doc []byte) []string {
	t.Helper()
	d, err := spdxjson.Read(bytes.NewReader(doc))
	require.NoError(t, err)
	var purls []string
	for _, p := range d.Packages {
		for _, ref := range p.PackageExternalReferences {
			if ref.RefType == "purl" && !strings.HasPrefix(ref.Locator, "pkg:oci/") {
				purls = append(purls, ref.Locator)
			}
		}
	}
	return purls
}

// appendTar adds a layer of regular files (path → content) to img.
func appendTar(t *testing.T, img v1.Image, files map[string]string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: p[1:], Mode: 0o644, Size: int64(len(files[p])), Typeflag: tar.TypeReg}))
		_, err := io.WriteString(tw, files[p])
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	require.NoError(t, err)
	out, err := mutate.AppendLayers(img, layer)
	require.NoError(t, err)
	return out
}
