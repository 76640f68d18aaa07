package sbom_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/internal/testimage"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sbom"
)

// smallLayout has no Go binary, so these tests need no compiler.
func smallLayout(t *testing.T) string {
	return testimage.WriteLayout(t, testimage.New(t, testimage.Options{NoGoBinary: true}))
}

// replaceFirstLayer overwrites the first layer blob of the one image in
// an OCI layout with data, keeping its name (its claimed digest).
func replaceFirstLayer(t *testing.T, dir string, data []byte) {
	t.Helper()
	p, err := layout.FromPath(dir)
	require.NoError(t, err)
	idx, err := p.ImageIndex()
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	img, err := p.Image(im.Manifests[0].Digest)
	require.NoError(t, err)
	m, err := img.Manifest()
	require.NoError(t, err)
	l := m.Layers[0].Digest
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blobs", l.Algorithm, l.Hex), data, 0o644))
}

func gzipTar(t *testing.T, name, content string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestGenerateBadInput(t *testing.T) {
	tests := []struct {
		name    string
		source  func(t *testing.T) sbom.Source
		format  sbom.Format
		kind    failure.Kind
		message string
	}{
		{
			name:    "unknown format",
			source:  func(t *testing.T) sbom.Source { return sbom.Layout(smallLayout(t)) },
			format:  "spdx-tag-value",
			kind:    failure.BadInput,
			message: `unknown SBOM format: use spdx-json or cyclonedx-json`,
		},
		{
			name:    "directory that is not a layout",
			source:  func(t *testing.T) sbom.Source { return sbom.Layout(t.TempDir()) },
			kind:    failure.BadInput,
			message: "not an OCI image layout directory",
		},
		{
			name: "file that is not an image tarball",
			source: func(t *testing.T) sbom.Source {
				p := filepath.Join(t.TempDir(), "notes.tar")
				require.NoError(t, os.WriteFile(p, []byte("not a tarball"), 0o644))
				return sbom.Tarball(p)
			},
			kind:    failure.BadInput,
			message: "reading image tarball",
		},
		{
			name:    "missing tarball",
			source:  func(t *testing.T) sbom.Source { return sbom.Tarball(filepath.Join(t.TempDir(), "nope.tar")) },
			kind:    failure.BadInput,
			message: "no such file",
		},
		{
			name: "layer that is not gzip",
			source: func(t *testing.T) sbom.Source {
				dir := smallLayout(t)
				replaceFirstLayer(t, dir, []byte("garbage, not a gzip stream"))
				return sbom.Layout(dir)
			},
			kind:    failure.BadInput,
			message: "reading layers of",
		},
		{
			name: "layer with other content than its digest",
			source: func(t *testing.T) sbom.Source {
				dir := smallLayout(t)
				replaceFirstLayer(t, dir, gzipTar(t, "etc/os-release", "ID=evil\n"))
				return sbom.Layout(dir)
			},
			kind:    failure.BadInput,
			message: "the layer is corrupt",
		},
		{
			name: "image missing from registry",
			source: func(t *testing.T) sbom.Source {
				return sbom.Registry(testimage.Registry(t) + "/nothing/here:v1")
			},
			kind:    failure.BadInput,
			message: "fetching image",
		},
		{
			name: "registry down",
			source: func(t *testing.T) sbom.Source {
				srv := httptest.NewServer(http.NotFoundHandler())
				host := strings.TrimPrefix(srv.URL, "http://")
				srv.Close()
				return sbom.Registry(host + "/app:v1")
			},
			kind:    failure.Transient,
			message: "fetching image",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format := tt.format
			if format == "" {
				format = sbom.SPDXJSON
			}
			res, err := sbom.Generate(context.Background(), tt.source(t), format)
			require.Error(t, err)
			require.Nil(t, res)
			require.Equal(t, tt.kind, failure.KindOf(err), "error: %v", err)
			require.Contains(t, err.Error(), tt.message)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestGenerateRegistryCredentials proves that credentials come from the
// keychain given to Generate.
func TestGenerateRegistryCredentials(t *testing.T) {
	const user, pass = "ci", "s3cret-token"
	reg := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	basic := &authn.Basic{Username: user, Password: pass}
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/app:v1")
	require.NoError(t, err)
	img := testimage.New(t, testimage.Options{NoGoBinary: true})
	require.NoError(t, remote.Write(tag, img, remote.WithAuth(basic)))

	_, err = sbom.Generate(context.Background(), sbom.Registry(tag.String()), sbom.SPDXJSON, sbom.WithKeychain(authn.NewMultiKeychain()))
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err), "error: %v", err)
	require.NotContains(t, err.Error(), pass)

	res, err := sbom.Generate(context.Background(), sbom.Registry(tag.String()), sbom.SPDXJSON, sbom.WithKeychain(staticKeychain{basic}))
	require.NoError(t, err)
	require.Equal(t, len(testimage.DefaultDebianPackages), res.Packages["deb"])
	require.True(t, strings.HasPrefix(res.Image, tag.Context().String()+"@sha256:"), res.Image)
}

type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

// TestGenerateStaysOffline fails on any HTTP request through the default
// transport while cataloging an image from disk.
func TestGenerateStaysOffline(t *testing.T) {
	orig := http.DefaultTransport
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected HTTP request to %s", r.URL)
		return nil, http.ErrHandlerTimeout
	})
	t.Cleanup(func() { http.DefaultTransport = orig })
	_, err := sbom.Generate(context.Background(), sbom.Layout(testimage.WriteLayout(t, testImage(t))), sbom.CycloneDXJSON)
	require.NoError(t, err)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
