package testimage_test

import (
	"archive/tar"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
)

func TestNewContents(t *testing.T) {
	img := testimage.New(t, testimage.Options{XTextVersion: testimage.VulnerableXTextVersion})
	require.NoError(t, validate.Image(img))

	files := map[string]string{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		files["/"+hdr.Name] = string(data)
	}
	require.Contains(t, files["/etc/os-release"], "VERSION_ID=\"12\"")
	require.Contains(t, files[testimage.DpkgStatusPath], "Package: libssl3\nStatus: install ok installed")
	require.Contains(t, files[testimage.PythonSitePackages+"/requests-2.31.0.dist-info/METADATA"], "Version: 2.31.0")
	require.Contains(t, files[testimage.NodeModules+"/lodash/package.json"], `"version": "4.17.20"`)
	require.Contains(t, files, testimage.GoBinaryPath)

	cf, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "linux", cf.OS)
}

func TestNewIsDeterministic(t *testing.T) {
	a, err := testimage.New(t, testimage.Options{}).Digest()
	require.NoError(t, err)
	b, err := testimage.New(t, testimage.Options{}).Digest()
	require.NoError(t, err)
	require.Equal(t, a, b)
}

func TestGoBinaryModules(t *testing.T) {
	for _, v := range []string{testimage.VulnerableXTextVersion, testimage.DefaultXTextVersion} {
		t.Run(v, func(t *testing.T) {
			out, err := exec.Command("go", "version", "-m", testimage.GoBinary(t, v)).CombinedOutput()
			require.NoError(t, err, string(out))
			require.Contains(t, string(out), "dep\tgolang.org/x/text\t"+v+"\t")
			require.Contains(t, string(out), "CGO_ENABLED=0")
			require.True(t, strings.Contains(string(out), "-trimpath=true"), string(out))
		})
	}
}

func TestNewLeavesOut(t *testing.T) {
	img := testimage.New(t, testimage.Options{NoGoBinary: true, Python: []testimage.Package{}, NPM: []testimage.Package{}})
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 2)
	tr := tar.NewReader(mutate.Extract(img))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.NotContains(t, hdr.Name, "node_modules")
		require.NotContains(t, hdr.Name, "dist-info")
		require.NotEqual(t, strings.TrimPrefix(testimage.GoBinaryPath, "/"), hdr.Name)
	}
}

func TestStores(t *testing.T) {
	img := testimage.New(t, testimage.Options{NoGoBinary: true})
	want, err := img.Digest()
	require.NoError(t, err)

	t.Run("registry", func(t *testing.T) {
		ref := testimage.Push(t, img)
		require.Equal(t, want.String(), ref.DigestStr())
		got, err := remote.Image(ref)
		require.NoError(t, err)
		require.NoError(t, validate.Image(got))
	})
	t.Run("layout", func(t *testing.T) {
		p, err := layout.FromPath(testimage.WriteLayout(t, img))
		require.NoError(t, err)
		got, err := p.Image(want)
		require.NoError(t, err)
		require.NoError(t, validate.Image(got))
	})
	t.Run("tarball", func(t *testing.T) {
		got, err := tarball.ImageFromPath(testimage.WriteTarball(t, img), nil)
		require.NoError(t, err)
		require.NoError(t, validate.Image(got))
		d, err := got.Digest()
		require.NoError(t, err)
		require.Equal(t, want, d)
	})
}
