package build

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

// Frontend is the BuildKit frontend paved builds Dockerfiles with: the one
// built into buildkitd, so no frontend image is pulled.
const Frontend = "dockerfile.v0"

// Keys of Result.Builder for a BuildKit build.
const (
	BuilderName            = "name"
	BuilderBuildKitVersion = "buildkit.version"
	BuilderBuildKitRev     = "buildkit.revision"
	BuilderFrontend        = "frontend"
)

// BuildKitConfig says which BuildKit daemon builds a Dockerfile and with
// what secrets and cache. Paths are files on this machine.
type BuildKitConfig struct {
	// Host is the daemon's address: unix:///run/buildkit/buildkitd.sock or
	// tcp://HOST:PORT (then with TLS when CACert is set).
	Host string
	// CACert, Cert and Key are PEM files: the CA that signed the daemon's
	// certificate, and this client's certificate and key.
	CACert, Cert, Key string
	// ServerName overrides the name checked in the daemon's certificate
	// (default: Host's host name).
	ServerName string
	// Secrets are mounted into RUN --mount=type=secret steps. Their values
	// never reach an image, a log line or an error.
	Secrets []Secret
	// CacheFrom and CacheTo import and export the build cache.
	CacheFrom, CacheTo []Cache
	// Log receives the build's step output (RUN output, with secret values
	// masked). Nil discards it.
	Log io.Writer
}

// Secret is one secret a build may mount, by id.
type Secret struct {
	// ID is the id RUN --mount=type=secret,id=ID asks for.
	ID string
	// Value is the secret itself (read by the caller from an environment
	// variable, say). Either Value or File is set.
	Value []byte
	// File is a file holding the secret.
	File string
}

// buildkitBuilder builds a Dockerfile through a BuildKit daemon.
type buildkitBuilder struct {
	dir string
	cfg BuildKitConfig
	o   *Options
}

// BuildKit returns a Builder that builds the Dockerfile (WithDockerfile,
// default "Dockerfile") of contextDir through the BuildKit daemon cfg names,
// with its built-in Dockerfile frontend, so RUN works.
//
// Before anything is sent to BuildKit, every image the target needs (FROM,
// COPY --from, RUN --mount from=) is resolved to a digest and checked
// against the policy, and the build is pinned to those digests with named
// contexts: a tag that moves after the check cannot change what is built.
// A "# syntax=" directive is ignored for the same reason (it would run an
// unchecked frontend image). Build args, target, platforms and labels are
// passed through; SOURCE_DATE_EPOCH (WithCreated) sets every timestamp. An
// ARG without a default and without a value, or a secret mount without a
// Secret, is refused as bad input before the build.
//
// The image is exported as OCI and held in memory; nothing is pushed.
// Result.Builder records the BuildKit version and the frontend.
func BuildKit(contextDir string, cfg BuildKitConfig, opts ...Option) Builder {
	return &buildkitBuilder{dir: contextDir, cfg: cfg, o: newOptions(opts)}
}

// Build checks the Dockerfile's images and secrets, then solves it.
func (b *buildkitBuilder) Build(ctx context.Context) (*Result, error) {
	file, data, err := readDockerfile(b.dir, b.o.Dockerfile)
	if err != nil {
		return nil, err
	}
	var plans []*bkPlan
	for _, p := range b.o.Platforms {
		bp, err := planBuildKit(file, data, p, b.o)
		if err != nil {
			return nil, err
		}
		plans = append(plans, bp)
	}
	secrets, err := b.secrets(plans)
	if err != nil {
		return nil, err
	}
	timings := map[string]float64{}
	start := time.Now()
	r := newResolver(b.o)
	pins, err := b.pin(ctx, r, plans)
	if err != nil {
		return nil, err
	}
	timings["resolve"] = time.Since(start).Seconds()
	start = time.Now()
	sol, err := b.solve(ctx, file, pins, secrets)
	if err != nil {
		return nil, err
	}
	timings["buildkit"] = time.Since(start).Seconds()
	return b.result(sol, r, plans, timings)
}

// pin resolves and checks every image of every platform's plan and returns
// the frontend's named contexts that pin them to the checked digests.
func (b *buildkitBuilder) pin(ctx context.Context, r *resolver, plans []*bkPlan) (map[string]string, error) {
	pins := map[string]string{}
	for _, bp := range plans {
		for _, img := range bp.images {
			if _, err := r.resolve(ctx, img.ref); err != nil {
				return nil, located(bp.file, img.loc, err)
			}
			base := r.base(img.ref)
			if base == nil {
				return nil, fmt.Errorf("resolving base image %q: no digest recorded", img.ref)
			}
			key, err := contextKey(img.ref)
			if err != nil {
				return nil, lineErr(bp.file, img.loc, fmt.Errorf("parsing image reference %q: %w", img.ref, err))
			}
			pins["context:"+key] = "docker-image://" + base.Digest.String()
		}
	}
	return pins, nil
}

// result turns the exported image into a Result: the final stage's base
// named in the annotations, the creation time stamped, the builder
// recorded.
func (b *buildkitBuilder) result(sol *solved, r *resolver, plans []*bkPlan, timings map[string]float64) (*Result, error) {
	var final *policy.Base
	if plans[0].finalBase != "" {
		final = r.base(plans[0].finalBase)
	}
	res := &Result{Bases: lastBase(r.bases, final), Warnings: r.warnings, Timings: timings, Builder: sol.builder}
	if len(b.o.Platforms) == 1 {
		img, err := sol.oci.image()
		if err != nil {
			return nil, err
		}
		if res.Image, err = finish(img, b.o, final); err != nil {
			return nil, err
		}
		return res, nil
	}
	imgs, err := sol.oci.images(b.o.Platforms)
	if err != nil {
		return nil, err
	}
	for i := range imgs {
		if imgs[i], err = finish(imgs[i], b.o, final); err != nil {
			return nil, err
		}
	}
	res.Index = result(imgs, b.o.Platforms, b.o, r, final).Index
	return res, nil
}

// frontendAttrs are the Dockerfile frontend's options for this build.
func (b *buildkitBuilder) frontendAttrs(file string, pins map[string]string) (map[string]string, error) {
	attrs := map[string]string{
		"filename": filepath.Base(file),
		// Present but empty: the frontend then ignores "# syntax=" and
		// BUILDKIT_SYNTAX instead of running an unchecked frontend image.
		"cmdline":                     "",
		"build-arg:SOURCE_DATE_EPOCH": strconv.FormatInt(b.o.Created.Unix(), 10),
		"platform":                    platformList(b.o.Platforms),
	}
	if b.o.Target != "" {
		attrs["target"] = b.o.Target
	}
	for k, v := range b.o.BuildArgs {
		if k == "BUILDKIT_SYNTAX" {
			return nil, failure.BadInputErr(fmt.Errorf("build arg BUILDKIT_SYNTAX would run an unchecked frontend image: drop it (paved builds with BuildKit's built-in frontend)"))
		}
		attrs["build-arg:"+k] = v
	}
	for k, v := range b.o.Labels {
		attrs["label:"+k] = v
	}
	for k, v := range pins {
		attrs[k] = v
	}
	return attrs, nil
}

func platformList(ps []v1.Platform) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ","
		}
		s += p.String()
	}
	return s
}
