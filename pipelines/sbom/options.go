package sbom

import (
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Option configures Generate.
type Option func(*options)

type options struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	platform  v1.Platform
	created   time.Time

	layerCache *LayerCache
}

// DefaultPlatform is the platform chosen from a multi-platform image when
// WithPlatform is not given.
var DefaultPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

func makeOptions(opts []Option) options {
	o := options{keychain: authn.DefaultKeychain, platform: DefaultPlatform}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithKeychain sets the registry credentials for a registry source
// (default authn.DefaultKeychain, the Docker config file).
func WithKeychain(kc authn.Keychain) Option {
	return func(o *options) {
		if kc != nil {
			o.keychain = kc
		}
	}
}

// WithTransport sets the HTTP transport for a registry source (default
// http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// WithPlatform selects the image of a multi-platform index (default
// DefaultPlatform). A single-platform image is used whatever its platform.
func WithPlatform(p v1.Platform) Option {
	return func(o *options) { o.platform = p }
}

// WithCreated sets the document's creation time. The default is the
// image's creation time from its config (Unix time 0 when it has none), so
// that the same image gives the same document.
func WithCreated(t time.Time) Option {
	return func(o *options) { o.created = t }
}

// WithLayerCache reads and writes the catalogues of the image's layers in
// c (nil: catalogue every layer).
func WithLayerCache(c *LayerCache) Option {
	return func(o *options) { o.layerCache = c }
}
