package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/publish"
	"github.com/paved-dev/paved/pipelines/source"
)

func init() { register(newBuildCmd) }

type buildFlags struct {
	dockerfile, main, base, policy string
	platforms                      []string
	push, layout, tarball          string
	tags, buildArgs, labels, env   []string
	extraFiles                     []string
	target, versionVar, version    string
	sourceURL, revision, user, wd  string
	contextLimit                   int64
	output                         string
	buildkit                       buildkitFlags
}

func newBuildCmd() *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Build a service's image without a container daemon",
		Long: `Build a service's image from DIR (default ".") without a Docker daemon.

A Go service (a go.mod in DIR, or --main) is compiled with the local Go
toolchain (CGO_ENABLED=0, -trimpath) and its binary is layered onto --base.
A Dockerfile (--dockerfile, or a Dockerfile in DIR) is executed instruction
by instruction; RUN needs a container and is refused (exit 2) unless a
BuildKit endpoint is given (--buildkit-host or BUILDKIT_HOST; 'paved buildkit
serve' starts a local one): then BuildKit builds the Dockerfile, pinned to
the policy-checked base digests.

Every base image is resolved to a digest and checked against --policy.
SOURCE_DATE_EPOCH (default: the commit time of DIR's HEAD) sets every
timestamp, so the same source on the same base gives the same digest.
Registry credentials come from the Docker config file or the
PAVED_REGISTRY_USERNAME/PAVED_REGISTRY_PASSWORD variables, never from flags.`,
		Example: `  # Go service onto the platform's static base, pushed by digest
  paved build examples/reference-apps/go-api --base 127.0.0.1:5000/platform/static:1 \
    --push 127.0.0.1:5000/services/go-api --policy policy.yaml

  # RUN-less Dockerfile into an OCI layout directory, as JSON
  paved build ./svc --dockerfile Dockerfile --oci-layout out/ --output json

  # Dockerfile with RUN through BuildKit, a secret from $NPM_TOKEN, registry cache
  paved build ./svc --buildkit-host unix:///run/buildkit/buildkitd.sock \
    --secret id=npm,env=NPM_TOKEN --cache-from type=registry,ref=127.0.0.1:5000/cache/svc \
    --cache-to type=registry,ref=127.0.0.1:5000/cache/svc,mode=max --push 127.0.0.1:5000/services/svc`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runBuild(cmd, dir, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dockerfile, "dockerfile", "", "Dockerfile path relative to DIR (Dockerfile build)")
	fl.StringVar(&f.main, "main", "", "Go main package relative to DIR (Go build; default \".\")")
	fl.StringVar(&f.base, "base", "", "base image of a Go service (REPO:TAG or REPO@DIGEST)")
	fl.StringVar(&f.policy, "policy", "", "platform policy file or http(s) URL")
	fl.StringSliceVar(&f.platforms, "platform", []string{"linux/amd64"}, "platforms to build; two or more give an image index")
	fl.StringVar(&f.push, "push", "", "repository to push to, by digest (REGISTRY/PATH)")
	fl.StringSliceVar(&f.tags, "tag", nil, "tags to point at the pushed digest (with --push)")
	fl.StringVar(&f.layout, "oci-layout", "", "OCI image layout directory to write")
	fl.StringVar(&f.tarball, "tarball", "", "docker-archive tarball to write (one platform)")
	fl.StringArrayVar(&f.buildArgs, "build-arg", nil, "Dockerfile ARG as KEY=VALUE")
	fl.StringVar(&f.target, "target", "", "Dockerfile stage to build")
	fl.StringArrayVar(&f.labels, "label", nil, "image label KEY=VALUE")
	fl.StringArrayVar(&f.env, "env", nil, "environment variable KEY=VALUE of a Go service's image")
	fl.StringArrayVar(&f.extraFiles, "extra-file", nil, "extra file SRC[:DST] next to a Go binary (SRC relative to DIR)")
	fl.StringVar(&f.versionVar, "version-var", build.DefaultVersionVar, "Go variable stamped with --version through -ldflags -X")
	fl.StringVar(&f.version, "version", "", "service version (stamped into the Go binary and the image annotations)")
	fl.StringVar(&f.sourceURL, "source", "", "source repository URL for the annotations (default: DIR's origin remote)")
	fl.StringVar(&f.revision, "revision", "", "source revision for the annotations (default: DIR's HEAD)")
	fl.StringVar(&f.user, "user", build.DefaultUser, "user a Go service runs as")
	fl.StringVar(&f.wd, "workdir", "/", "working directory of a Go service")
	fl.Int64Var(&f.contextLimit, "context-limit", build.DefaultContextLimit, "largest Dockerfile build context in bytes")
	addBuildKitFlags(cmd, &f.buildkit)
	outputFlag(cmd, &f.output)
	return cmd
}

// buildOutput is the JSON result of paved build (covered by semver).
type buildOutput struct {
	Digest    string             `json:"digest"`
	Reference string             `json:"reference,omitempty"`
	Locations []string           `json:"locations"`
	Platforms []string           `json:"platforms"`
	Bases     []baseOutput       `json:"bases"`
	Warnings  []string           `json:"warnings,omitempty"`
	Timings   map[string]float64 `json:"timingsSeconds"`
	Builder   map[string]string  `json:"builder,omitempty"`
}

type baseOutput struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

func runBuild(cmd *cobra.Command, dir string, f *buildFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	if f.push == "" && f.layout == "" && f.tarball == "" {
		return usageError{errors.New("nothing to write: give --push REPO, --oci-layout DIR and/or --tarball FILE")}
	}
	ctx := cmd.Context()
	f.buildkit.log = cmd.ErrOrStderr()
	b, pubs, err := buildPlan(ctx, dir, f, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := b.Build(ctx)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	buildTime := time.Since(start)
	start = time.Now()
	pub, err := publish.All(ctx, publish.Artifact{Image: res.Image, Index: res.Index}, pubs...)
	if err != nil {
		return err
	}
	out := buildOutput{Digest: pub.Digest, Reference: pub.Reference, Locations: pub.Locations, Platforms: f.platforms, Warnings: res.Warnings, Timings: res.Timings, Builder: res.Builder}
	if out.Timings == nil {
		out.Timings = map[string]float64{}
	}
	out.Timings["build"] = buildTime.Seconds()
	out.Timings["push"] = time.Since(start).Seconds()
	for _, b := range res.Bases {
		out.Bases = append(out.Bases, baseOutput{Name: b.Ref.Name(), Digest: b.Digest.DigestStr()})
	}
	if f.output == "json" {
		return writeJSON(cmd.OutOrStdout(), out)
	}
	if out.Reference != "" {
		fmt.Fprintln(cmd.OutOrStdout(), out.Reference)
	} else {
		fmt.Fprintln(cmd.OutOrStdout(), out.Digest)
	}
	return nil
}

// buildPlan turns the flags into a Builder and its publishers. Nothing is
// built or written here.
func buildPlan(ctx context.Context, dir string, f *buildFlags, warn io.Writer) (build.Builder, []publish.Publisher, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil, failure.BadInputErr(fmt.Errorf("reading build directory %q: not a directory", dir))
	}
	opts, err := commonBuildOptions(ctx, dir, f, warn)
	if err != nil {
		return nil, nil, err
	}
	var b build.Builder
	switch kind, err := buildKind(dir, f); {
	case err != nil:
		return nil, nil, err
	case kind == "dockerfile":
		df := f.dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if err := atLeast("--context-limit", f.contextLimit, 1, "give the largest build context in bytes, 1 or more"); err != nil {
			return nil, nil, err
		}
		opts = append(opts, build.WithDockerfile(df), build.WithTarget(f.target), build.WithContextLimit(f.contextLimit))
		args, err := keyValues("--build-arg", f.buildArgs)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, build.WithBuildArgs(args))
		if b, err = dockerfileBuilder(dir, &f.buildkit, opts); err != nil {
			return nil, nil, err
		}
	default:
		extra, err := extraFiles(f.extraFiles)
		if err != nil {
			return nil, nil, err
		}
		main := f.main
		if main == "" {
			main = "."
		}
		opts = append(opts, build.WithBase(f.base), build.WithMain(main), build.WithUser(f.user), build.WithWorkDir(f.wd),
			build.WithEnv(f.env...), build.WithExtraFiles(extra...))
		if f.version != "" && f.versionVar != "" {
			opts = append(opts, build.WithVersion(f.versionVar, f.version))
		}
		b = build.Go(dir, opts...)
	}
	pubs, err := publishers(f)
	return b, pubs, err
}

func buildKind(dir string, f *buildFlags) (string, error) {
	switch {
	case f.dockerfile != "" && f.main != "":
		return "", usageError{errors.New("--dockerfile and --main exclude each other: pick one kind of build")}
	case f.dockerfile != "":
		return "dockerfile", nil
	case f.main != "":
		return "go", nil
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && f.base != "" {
		return "go", nil
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err == nil {
		return "dockerfile", nil
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		return "go", nil
	}
	return "", failure.BadInputErr(fmt.Errorf("nothing to build in %q: no go.mod and no Dockerfile (use --main or --dockerfile)", dir))
}

// commonBuildOptions turns the flags every kind of build shares into options.
// The policy's minimum paved version is checked here, before anything is
// built; its warnings go to warn.
func commonBuildOptions(ctx context.Context, dir string, f *buildFlags, warn io.Writer) ([]build.Option, error) {
	platforms, err := parsePlatforms(f.platforms)
	if err != nil {
		return nil, err
	}
	labels, err := keyValues("--label", f.labels)
	if err != nil {
		return nil, err
	}
	opts := []build.Option{build.WithPlatforms(platforms...), build.WithKeychain(keychain()), build.WithLabels(labels)}
	if f.policy != "" {
		p, err := policy.Load(ctx, f.policy, nil)
		if err != nil {
			return nil, err
		}
		decision, err := p.CheckVersion(version.Get(), time.Now())
		if err != nil {
			return nil, err
		}
		for _, w := range decision.Warnings {
			fmt.Fprintf(warn, "warning: %s\n", w)
		}
		opts = append(opts, build.WithPolicy(p))
	}
	created, ann, err := sourceMetadata(dir, f)
	if err != nil {
		return nil, err
	}
	return append(opts, build.WithCreated(created), build.WithAnnotations(ann)), nil
}

// sourceMetadata reads SOURCE_DATE_EPOCH (default: HEAD's commit time) and
// the source annotations.
func sourceMetadata(dir string, f *buildFlags) (time.Time, map[string]string, error) {
	ann := map[string]string{}
	created := time.Unix(0, 0).UTC()
	info, err := source.Inspect(dir)
	if err == nil {
		created = info.Time
		ann[oci.AnnotationRevision] = info.Revision
		if info.URL != "" {
			ann[oci.AnnotationSource] = info.URL
		}
	} else if !errors.Is(err, source.ErrNotRepository) {
		return time.Time{}, nil, failure.BadInputErr(err)
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return time.Time{}, nil, failure.BadInputErr(fmt.Errorf("parsing SOURCE_DATE_EPOCH %q: want seconds since 1970", epoch))
		}
		created = time.Unix(secs, 0).UTC()
	}
	if f.sourceURL != "" {
		ann[oci.AnnotationSource] = source.StripCredentials(f.sourceURL)
	}
	if f.revision != "" {
		ann[oci.AnnotationRevision] = f.revision
	}
	if f.version != "" {
		ann[oci.AnnotationVersion] = f.version
	}
	return created, ann, nil
}

func publishers(f *buildFlags) ([]publish.Publisher, error) {
	var pubs []publish.Publisher
	if f.push != "" {
		p, err := publish.Registry(f.push, f.tags, keychain(), nil)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, p)
	}
	if f.layout != "" {
		p, err := publish.Layout(f.layout)
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, p)
	}
	if f.tarball != "" {
		p, err := publish.Tarball(f.tarball, tarballTag(f))
		if err != nil {
			return nil, err
		}
		pubs = append(pubs, p)
	}
	return pubs, nil
}

// tarballTag names the image in a tarball: the --push repository (else
// paved.local/image) with the first --tag (else latest).
func tarballTag(f *buildFlags) string {
	repo, tag := "paved.local/image", "latest"
	if r, err := name.NewRepository(f.push); f.push != "" && err == nil {
		repo = r.Name()
	}
	if len(f.tags) > 0 {
		tag = f.tags[0]
	}
	return repo + ":" + tag
}

func extraFiles(specs []string) ([]build.ExtraFile, error) {
	var out []build.ExtraFile
	for _, s := range specs {
		src, dst, _ := strings.Cut(s, ":")
		if src == "" {
			return nil, usageError{fmt.Errorf("invalid --extra-file %q: want SRC[:DST]", s)}
		}
		out = append(out, build.ExtraFile{Src: src, Dst: dst})
	}
	return out, nil
}
