package deploy

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"
)

// The tests' images are in one in-process registry (go-containerregistry's
// pkg/registry). Every registry host the tests name (ghcr.io,
// registry.acme.internal, ...) is served by it: testTransport sends each
// request there, so fixtures keep their real-world names and digests are
// checked against a real registry.

// testImage returns a layerless image whose digest depends only on seed, so
// that golden files can hold it.
func testImage(seed string) v1.Image {
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: "amd64", OS: "linux", Config: v1.Config{Labels: map[string]string{"seed": seed}},
	})
	if err != nil {
		panic(err)
	}
	return img
}

func imageDigest(seed string) string {
	h, err := testImage(seed).Digest()
	if err != nil {
		panic(err)
	}
	return h.String()
}

// The digests of the images the fixtures' repositories hold.
var (
	digestA = imageDigest("a")
	digestB = imageDigest("b")
	digestC = imageDigest("c")
)

// fixtureRepos are the repositories holding images a, b and c.
var fixtureRepos = []string{"ghcr.io/acme/api", "ghcr.io/acme/checkout", "ghcr.io/acme/worker", "ghcr.io/acme/web", "registry.acme.internal/mirror/checkout"}

var (
	registryOnce sync.Once
	registryHost string
)

// testTransport returns the transport that sends every registry request to
// the tests' registry, starting it (and pushing the fixtures) on first use.
func testTransport(t testing.TB) http.RoundTripper {
	registryOnce.Do(func() {
		srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		u, _ := url.Parse(srv.URL)
		registryHost = u.Host
		repos := append([]string(nil), fixtureRepos...)
		for i := range 20 {
			repos = append(repos, fmt.Sprintf("ghcr.io/acme/svc%03d", i))
		}
		for _, r := range repos {
			for _, seed := range []string{"a", "b", "c"} {
				push(t, r, seed)
			}
		}
	})
	return redirect{}
}

// redirect sends a request for any host to the tests' registry.
type redirect struct{}

func (redirect) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = "http", registryHost, registryHost
	return http.DefaultTransport.RoundTrip(r)
}

// unreachable sends every registry request to a closed port.
type unreachable struct{}

func (unreachable) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = "http", "127.0.0.1:1", "127.0.0.1:1"
	return http.DefaultTransport.RoundTrip(r)
}

// pushTo pushes the image of seed to repo and returns its reference by digest.
func pushTo(t testing.TB, repo, seed string) string {
	t.Helper()
	testTransport(t)
	return push(t, repo, seed)
}

func push(t testing.TB, repo, seed string) string {
	t.Helper()
	img := testImage(seed)
	tag, err := name.NewTag(repo + ":" + seed)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img, remote.WithTransport(redirect{})))
	return repo + "@" + imageDigest(seed)
}

// testOpts are the options of every verb in these tests: the registry, and
// a verifier that passes images a, b and c.
func testOpts(t testing.TB, extra ...Option) []Option {
	return append([]Option{WithTransport(testTransport(t)), WithVerifier(trustAll())}, extra...)
}
