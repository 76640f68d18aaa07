package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/paved-dev/paved/pipelines/failure"
)

// connectTimeout bounds the first call to the daemon, which tells an
// unreachable endpoint from a slow build.
const connectTimeout = 20 * time.Second

// solved is a finished BuildKit build: the OCI tarball it exported, read,
// and the daemon that built it.
type solved struct {
	oci     *ociArchive
	builder map[string]string
}

// ErrNoBuildKit is returned (wrapped, as bad input) when a BuildKit build
// has no endpoint; ErrBuildKitTLS when the TLS handshake with it fails.
var (
	ErrNoBuildKit  = errors.New("no BuildKit endpoint")
	ErrBuildKitTLS = errors.New("TLS failed")
)

// MissingSecretError is returned (wrapped, as bad input) when a RUN mounts
// a secret the build was not given; ID is the secret's id.
type MissingSecretError struct{ ID string }

func (*MissingSecretError) Error() string { return "the secret was not given" }

// connect dials the daemon and asks it for its version.
func (b *buildkitBuilder) connect(ctx context.Context) (*bkclient.Client, map[string]string, error) {
	host := b.cfg.Host
	if host == "" {
		return nil, nil, failure.BadInputErr(fmt.Errorf("%w: give one, e.g. unix:///run/buildkit/buildkitd.sock", ErrNoBuildKit))
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "unix" && u.Scheme != "tcp") {
		return nil, nil, failure.BadInputErr(fmt.Errorf("parsing BuildKit endpoint %q: want unix:///PATH or tcp://HOST:PORT", host))
	}
	var opts []bkclient.ClientOpt
	if b.cfg.CACert != "" || b.cfg.Cert != "" {
		if u.Scheme != "tcp" {
			return nil, nil, failure.BadInputErr(fmt.Errorf("BuildKit endpoint %q: TLS certificates need a tcp:// endpoint", host))
		}
		name := b.cfg.ServerName
		if name == "" {
			name = u.Hostname()
		}
		opts = append(opts, bkclient.WithServerConfig(name, b.cfg.CACert))
		if b.cfg.Cert != "" || b.cfg.Key != "" {
			opts = append(opts, bkclient.WithCredentials(b.cfg.Cert, b.cfg.Key))
		}
	}
	c, err := bkclient.New(ctx, host, opts...)
	if err != nil {
		return nil, nil, connectErr(host, err)
	}
	ictx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	info, err := c.Info(ictx)
	if err != nil {
		c.Close()
		return nil, nil, connectErr(host, err)
	}
	return c, map[string]string{
		BuilderName:            "buildkit",
		BuilderBuildKitVersion: info.BuildkitVersion.Version,
		BuilderBuildKitRev:     info.BuildkitVersion.Revision,
		BuilderFrontend:        Frontend,
	}, nil
}

// connectErr classifies a failure to reach the daemon: bad certificates
// are bad input, anything else is transient.
func connectErr(host string, err error) error {
	msg := err.Error()
	for _, s := range []string{"tls:", "x509:", "certificate", "authentication handshake failed", "loading certificates", "could not read", "failed to read"} {
		if strings.Contains(msg, s) {
			return failure.BadInputErr(fmt.Errorf("connecting to BuildKit at %q: %w: %w: check the CA, client certificate and key", host, ErrBuildKitTLS, err))
		}
	}
	return failure.TransientErr(fmt.Errorf("connecting to BuildKit at %q: %w: start a daemon (paved buildkit serve) or fix the endpoint", host, err))
}

// solve runs the build and reads the exported OCI tarball.
func (b *buildkitBuilder) solve(ctx context.Context, file string, pins map[string]string, secrets map[string][]byte) (*solved, error) {
	attrs, err := b.frontendAttrs(file, pins)
	if err != nil {
		return nil, err
	}
	c, builder, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	contextFS, err := fsutil.NewFS(b.dir)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading build context %q: %w", b.dir, err))
	}
	dockerfileFS, err := fsutil.NewFS(filepath.Dir(file))
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading Dockerfile directory of %q: %w", file, err))
	}
	out, err := os.CreateTemp("", "paved-buildkit-*.tar")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	opt := bkclient.SolveOpt{
		Frontend:      Frontend,
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": contextFS, "dockerfile": dockerfileFS},
		Session:       []session.Attachable{secretsprovider.FromMap(secrets), &keychainAuth{kc: b.o.Keychain}},
		Exports: []bkclient.ExportEntry{{
			Type:   bkclient.ExporterOCI,
			Attrs:  map[string]string{"rewrite-timestamp": "true", "oci-mediatypes": "true"},
			Output: func(map[string]string) (io.WriteCloser, error) { return nopCloser{out}, nil },
		}},
		CacheImports: cacheEntries(b.cfg.CacheFrom),
		CacheExports: cacheEntries(b.cfg.CacheTo),
	}
	logs := newStepLog(b.cfg.Log, secrets)
	ch := make(chan *bkclient.SolveStatus)
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		_, err := c.Solve(ectx, nil, opt, ch)
		return err
	})
	eg.Go(func() error {
		for st := range ch {
			logs.add(st)
		}
		return nil
	})
	if err := eg.Wait(); err != nil {
		return nil, b.solveErr(ctx, file, err, logs)
	}
	arch, err := readOCIArchive(out.Name())
	if err != nil {
		return nil, err
	}
	return &solved{oci: arch, builder: builder}, nil
}

// nopCloser keeps BuildKit from closing the temporary file before it is read.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
