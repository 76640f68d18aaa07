package build

import (
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/policy"
)

// Defaults of every build; options override them.
const (
	// DefaultUser is the non-root user images run as (distroless "nonroot").
	DefaultUser = "65532:65532"
	// DefaultContextLimit bounds a Dockerfile build context (500 MiB).
	DefaultContextLimit int64 = 500 << 20
	// DefaultVersionVar is the Go variable a Go build stamps with the
	// version (-ldflags -X), for paved build and paved.yaml alike.
	DefaultVersionVar = "main.version"
)

// DefaultPlatform is the platform built when none is asked for.
var DefaultPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// Options configure a build. Build them with the With* functions; fields not
// set keep the defaults of newOptions.
type Options struct {
	Platforms    []v1.Platform
	Created      time.Time
	Policy       *policy.Policy
	Now          func() time.Time
	Keychain     authn.Keychain
	Transport    http.RoundTripper
	Labels       map[string]string
	Annotations  map[string]string
	Env          []string
	ContextLimit int64

	// Go services.
	Base       string
	Main       string
	Ldflags    []string
	VersionVar string
	Version    string
	User       string
	WorkDir    string
	ExtraFiles []ExtraFile
	GoBinary   string
	GoEnv      []string

	// Dockerfiles.
	Dockerfile string
	BuildArgs  map[string]string
	Target     string
}

// ExtraFile is a file added to a Go service's image next to the binary.
type ExtraFile struct {
	// Src is the file on disk, relative to the service directory.
	Src string
	// Dst is its absolute path in the image.
	Dst string
}

// Option sets one build option.
type Option func(*Options)

func newOptions(opts []Option) *Options {
	o := &Options{
		Created:      time.Unix(0, 0).UTC(),
		Now:          time.Now,
		User:         DefaultUser,
		WorkDir:      "/",
		Main:         ".",
		ContextLimit: DefaultContextLimit,
		Dockerfile:   "Dockerfile",
		GoBinary:     "go",
	}
	for _, opt := range opts {
		opt(o)
	}
	if len(o.Platforms) == 0 {
		o.Platforms = []v1.Platform{DefaultPlatform}
	}
	return o
}

// WithPlatforms builds these platforms; two or more give an image index.
func WithPlatforms(p ...v1.Platform) Option { return func(o *Options) { o.Platforms = p } }

// WithCreated sets every timestamp in the image (SOURCE_DATE_EPOCH).
func WithCreated(t time.Time) Option { return func(o *Options) { o.Created = t.UTC() } }

// WithPolicy checks every base image against p.
func WithPolicy(p *policy.Policy) Option { return func(o *Options) { o.Policy = p } }

// WithClock sets the clock that dated policy denials are compared with.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithKeychain sets the registry credentials used to fetch base images.
func WithKeychain(kc authn.Keychain) Option { return func(o *Options) { o.Keychain = kc } }

// WithTransport sets the HTTP transport used to fetch base images.
func WithTransport(rt http.RoundTripper) Option { return func(o *Options) { o.Transport = rt } }

// WithLabels adds image config labels.
func WithLabels(l map[string]string) Option {
	return func(o *Options) { o.Labels = merge(o.Labels, l) }
}

// WithAnnotations adds manifest annotations (source, revision, version, ...).
func WithAnnotations(a map[string]string) Option {
	return func(o *Options) { o.Annotations = merge(o.Annotations, a) }
}

// WithEnv adds KEY=VALUE environment variables to the image config.
func WithEnv(env ...string) Option { return func(o *Options) { o.Env = append(o.Env, env...) } }

// WithContextLimit bounds the size of a Dockerfile build context in bytes.
func WithContextLimit(n int64) Option { return func(o *Options) { o.ContextLimit = n } }

// WithBase sets a Go service's base image reference.
func WithBase(ref string) Option { return func(o *Options) { o.Base = ref } }

// WithMain sets a Go service's main package, relative to its directory.
func WithMain(pkg string) Option { return func(o *Options) { o.Main = pkg } }

// WithVersion stamps version into the Go binary through -X varName=version.
func WithVersion(varName, version string) Option {
	return func(o *Options) { o.VersionVar, o.Version = varName, version }
}

// WithLdflags adds linker flags to the Go build.
func WithLdflags(flags ...string) Option {
	return func(o *Options) { o.Ldflags = append(o.Ldflags, flags...) }
}

// WithUser sets the user a Go service runs as (default 65532:65532).
func WithUser(u string) Option { return func(o *Options) { o.User = u } }

// WithWorkDir sets a Go service's working directory.
func WithWorkDir(dir string) Option { return func(o *Options) { o.WorkDir = dir } }

// WithExtraFiles adds files next to a Go service's binary.
func WithExtraFiles(f ...ExtraFile) Option {
	return func(o *Options) { o.ExtraFiles = append(o.ExtraFiles, f...) }
}

// WithGoBinary sets the go command used to compile (default "go" on PATH).
func WithGoBinary(path string) Option { return func(o *Options) { o.GoBinary = path } }

// WithGoEnv adds KEY=VALUE settings to the go command's environment
// (GOFLAGS, GOEXPERIMENT, GOPRIVATE, ...). The go command otherwise inherits
// this process's environment without GOEXPERIMENT.
func WithGoEnv(env ...string) Option { return func(o *Options) { o.GoEnv = append(o.GoEnv, env...) } }

// WithDockerfile sets the Dockerfile path, relative to the context directory.
func WithDockerfile(path string) Option { return func(o *Options) { o.Dockerfile = path } }

// WithBuildArgs sets Dockerfile ARG values.
func WithBuildArgs(args map[string]string) Option {
	return func(o *Options) { o.BuildArgs = merge(o.BuildArgs, args) }
}

// WithTarget builds the named Dockerfile stage instead of the last one.
func WithTarget(stage string) Option { return func(o *Options) { o.Target = stage } }

func merge(dst, src map[string]string) map[string]string {
	if dst == nil {
		dst = map[string]string{}
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
