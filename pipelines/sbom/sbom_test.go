package sbom_test

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/stretchr/testify/require"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/sbom"
)

var (
	fixtureOnce sync.Once
	fixture     v1.Image
)

// testImage is the default test image (x/text v0.3.7), built once.
func testImage(t testing.TB) v1.Image {
	fixtureOnce.Do(func() {
		fixture = testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	})
	return fixture
}

// expectedPackages lists what the SBOM of testImage must contain, as
// "purl-type name version": the modules `go version -m` reports for the
// binary (the Go standard library as "stdlib" at the toolchain version),
// and the dpkg, Python and npm packages put in the image.
func expectedPackages(t *testing.T) []string {
	out, err := exec.Command("go", "version", "-m", testimage.GoBinary(t, testimage.VulnerableXTextVersion)).Output()
	require.NoError(t, err)
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		switch {
		case first:
			want = append(want, "golang stdlib "+f[len(f)-1])
		case f[0] == "dep" || f[0] == "mod" && f[2] != "(devel)":
			want = append(want, "golang "+f[1]+" "+f[2])
		}
	}
	require.Contains(t, want, "golang golang.org/x/text v0.3.7", "go version -m output:\n%s", out)
	for _, d := range testimage.DefaultDebianPackages {
		want = append(want, "deb "+d.Name+" "+d.Version)
	}
	for _, p := range testimage.DefaultPythonPackages {
		want = append(want, "pypi "+p.Name+" "+p.Version)
	}
	for _, p := range testimage.DefaultNPMPackages {
		want = append(want, "npm "+p.Name+" "+p.Version)
	}
	sort.Strings(want)
	return want
}

// purlType returns the type of a package URL ("pkg:deb/debian/..." → "deb").
func purlType(purl string) string {
	t, _, _ := strings.Cut(strings.TrimPrefix(purl, "pkg:"), "/")
	return t
}

func spdxPackages(t *testing.T, doc []byte) []string {
	d, err := spdxjson.Read(bytes.NewReader(doc))
	require.NoError(t, err)
	require.Equal(t, "SPDX-2.3", d.SPDXVersion)
	require.NotEmpty(t, d.DocumentNamespace)
	var tools []string
	for _, c := range d.CreationInfo.Creators {
		if c.CreatorType == "Tool" {
			tools = append(tools, c.Creator)
		}
	}
	require.Equal(t, []string{"syft-" + sbom.SyftVersion}, tools)
	var got []string
	for _, p := range d.Packages {
		for _, ref := range p.PackageExternalReferences {
			if ref.RefType == "purl" {
				got = append(got, purlType(ref.Locator)+" "+p.PackageName+" "+p.PackageVersion)
			}
		}
	}
	return got
}

func cyclonedxPackages(t *testing.T, doc []byte) []string {
	var bom cyclonedx.BOM
	require.NoError(t, cyclonedx.NewBOMDecoder(bytes.NewReader(doc), cyclonedx.BOMFileFormatJSON).Decode(&bom))
	require.Equal(t, cyclonedx.SpecVersion1_6, bom.SpecVersion)
	require.Regexp(t, `^urn:uuid:[0-9a-f-]{36}$`, bom.SerialNumber)
	require.NotNil(t, bom.Components)
	var got []string
	for _, c := range *bom.Components {
		if c.PackageURL != "" {
			got = append(got, purlType(c.PackageURL)+" "+c.Name+" "+c.Version)
		}
	}
	return got
}

func TestGenerateListsPackages(t *testing.T) {
	img := testImage(t)
	want := expectedPackages(t)
	sources := map[string]func(t *testing.T) sbom.Source{
		"registry":   func(t *testing.T) sbom.Source { return sbom.Registry(testimage.Push(t, img).String()) },
		"oci-layout": func(t *testing.T) sbom.Source { return sbom.Layout(testimage.WriteLayout(t, img)) },
		"tarball":    func(t *testing.T) sbom.Source { return sbom.Tarball(testimage.WriteTarball(t, img)) },
		"in-memory":  func(t *testing.T) sbom.Source { return sbom.Image(img, "registry.example/app") },
	}
	decoders := map[sbom.Format]func(*testing.T, []byte) []string{
		sbom.SPDXJSON:      spdxPackages,
		sbom.CycloneDXJSON: cyclonedxPackages,
	}
	digest, err := img.Digest()
	require.NoError(t, err)
	for srcName, mkSource := range sources {
		for format, decode := range decoders {
			t.Run(srcName+"/"+string(format), func(t *testing.T) {
				res, err := sbom.Generate(context.Background(), mkSource(t), format)
				require.NoError(t, err)
				require.Equal(t, format, res.Format)
				require.Equal(t, digest.String(), res.ImageDigest)
				got := decode(t, res.Document)
				for _, w := range want {
					require.Contains(t, got, w)
				}
			})
		}
	}
}

func TestGenerateSummary(t *testing.T) {
	res, err := sbom.Generate(context.Background(), sbom.Image(testImage(t), ""), sbom.CycloneDXJSON)
	require.NoError(t, err)
	require.Equal(t, "1.6", res.SpecVersion)
	require.Equal(t, "debian 12", res.Distro)
	require.Equal(t, len(testimage.DefaultDebianPackages), res.Packages["deb"])
	require.Equal(t, 1, res.Packages["python"])
	require.Equal(t, 1, res.Packages["npm"])
	// The main module, golang.org/x/text and the standard library.
	require.Equal(t, 3, res.Packages["go-module"])
	total := 0
	for _, n := range res.Packages {
		total += n
	}
	require.Equal(t, total, res.Total)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, res.Digest)
	require.Equal(t, res.ImageDigest, res.Image)
	require.Equal(t, sbom.SyftVersion, res.Syft)
}

func TestGenerateIsReproducible(t *testing.T) {
	img := testImage(t)
	for _, format := range sbom.Formats {
		t.Run(string(format), func(t *testing.T) {
			a, err := sbom.Generate(context.Background(), sbom.Image(img, "registry.example/app"), format)
			require.NoError(t, err)
			b, err := sbom.Generate(context.Background(), sbom.Layout(testimage.WriteLayout(t, img)), format)
			require.NoError(t, err)
			c, err := sbom.Generate(context.Background(), sbom.Image(img, "registry.example/app"), format)
			require.NoError(t, err)
			require.Equal(t, string(a.Document), string(c.Document))
			require.Equal(t, a.Digest, c.Digest)
			require.NotEqual(t, a.Digest, b.Digest, "the source name is part of the document")
		})
	}
}
