package testimage

import (
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Registry starts an in-process registry on loopback for the life of the
// test and returns its host:port.
func Registry(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	tb.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		tb.Fatalf("testimage: parsing registry URL: %v", err)
	}
	return u.Host
}

// Push starts a registry (see Registry), pushes img to it as
// HOST/paved/testimage:latest and returns the digest reference.
func Push(tb testing.TB, img v1.Image) name.Digest {
	tb.Helper()
	return PushTo(tb, Registry(tb)+"/paved/testimage:latest", img)
}

// PushTo pushes img to the tag reference ref (e.g. "127.0.0.1:PORT/app:v1")
// and returns the digest reference.
func PushTo(tb testing.TB, ref string, img v1.Image) name.Digest {
	tb.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		tb.Fatalf("testimage: parsing %q: %v", ref, err)
	}
	if err := remote.Write(tag, img); err != nil {
		tb.Fatalf("testimage: pushing %s: %v", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		tb.Fatalf("testimage: image digest: %v", err)
	}
	return tag.Context().Digest(d.String())
}

// WriteLayout writes img as the only image of a new OCI image layout
// directory under tb.TempDir() and returns the directory.
func WriteLayout(tb testing.TB, img v1.Image) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		tb.Fatalf("testimage: writing OCI layout: %v", err)
	}
	if err := p.AppendImage(img); err != nil {
		tb.Fatalf("testimage: writing OCI layout: %v", err)
	}
	return dir
}

// WriteTarball writes img as a docker save tarball (tagged
// paved/testimage:latest) under tb.TempDir() and returns its path.
func WriteTarball(tb testing.TB, img v1.Image) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "image.tar")
	tag, err := name.NewTag("paved/testimage:latest")
	if err != nil {
		tb.Fatalf("testimage: %v", err)
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		tb.Fatalf("testimage: writing tarball: %v", err)
	}
	return path
}
