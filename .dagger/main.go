// Package main is paved's Dagger module: 'dagger call build-scan-deploy'.
//
// The functions are plumbing, not a second pipeline. Each installs the
// released paved of the module's version (-m ...@vX.Y.Z) into the pinned Go
// image, verified as every paved wrapper verifies it (ci/install.sh: the
// release's SHA256SUMS signed by the platform key, the archive's checksum),
// and runs the same paved verb in a container, with the Go caches as cache
// volumes and credentials as Dagger secrets. --from-source builds paved from
// the module's source instead, to test a change. The only thing done by
// Dagger itself is what paved cannot do without a container: building a
// Dockerfile that has RUN (Directory.DockerBuild), whose image is handed to
// paved as an OCI layout. What to build, the scan gate, what to sign and
// where to deploy are decided by paved and the service's paved.yaml.
//
// The service's source is always passed explicitly (--source): a
// +defaultPath would resolve in paved's repository when called with -m.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"dagger/paved/internal/dagger"
)

// defaultGoImage is golang:1.26.0-bookworm by its multi-platform index
// digest. It runs paved and, through paved, builds the services' Go
// binaries.
const defaultGoImage = "golang:1.26.0-bookworm@sha256:2a0ba12e116687098780d3ce700f9ce3cb340783779646aafbabed748fa6677c"

// The release this module installs by default, pinned by paved release
// publish in the release commit (ci/pins), as in the other wrappers.
const (
	defaultPavedVersion     = "v0.1.0" // paved-release: version
	defaultReleasePublicKey = ""       // paved-release: public-key
	pinnedSHA256SUMS        = ""       // paved-release: sha256sums
	defaultReleaseURL       = "https://github.com/paved-dev/paved/releases/download"
)

// Paved runs paved's pipeline steps in containers.
type Paved struct {
	// +private
	PavedSource *dagger.Directory
	// +private
	GoImage string
	// +private
	PavedVersion string
	// +private
	ReleaseURL string
	// +private
	ReleasePublicKey string
	// +private
	FromSource bool
}

// New configures the module. The defaults suit every call; override them to
// mirror the releases, test a paved change or a new Go image.
func New(
	// paved's own source: by default this module's repository at the version called
	// +defaultPath="/"
	// +ignore=[".git", ".dagger", "examples", "bin", ".paved"]
	pavedSource *dagger.Directory,
	// Go image that runs paved and builds the services' Go binaries, pinned by digest
	// +optional
	// +default="golang:1.26.0-bookworm@sha256:2a0ba12e116687098780d3ce700f9ce3cb340783779646aafbabed748fa6677c"
	goImage string,
	// paved release to install (default: this module's version); with --from-source, the version stamped into the binary
	// +optional
	pavedVersion string,
	// where paved releases are downloaded from, RELEASE-URL/vX.Y.Z/FILE (e.g. a mirror)
	// +optional
	// +default="https://github.com/paved-dev/paved/releases/download"
	releaseUrl string,
	// public key (cosign.pub, PEM or its base64 body) that signed the release's SHA256SUMS (default: the platform's key this module pins)
	// +optional
	releasePublicKey string,
	// build paved from --paved-source instead of installing the release, to test a change
	// +optional
	fromSource bool,
) *Paved {
	if goImage == "" {
		goImage = defaultGoImage
	}
	if pavedVersion == "" && !fromSource {
		pavedVersion = defaultPavedVersion
	}
	if releaseUrl == "" {
		releaseUrl = defaultReleaseURL
	}
	if releasePublicKey == "" {
		releasePublicKey = defaultReleasePublicKey
	}
	return &Paved{PavedSource: pavedSource, GoImage: goImage, PavedVersion: pavedVersion,
		ReleaseURL: releaseUrl, ReleasePublicKey: releasePublicKey, FromSource: fromSource}
}

// Build builds the service and pushes its image by digest, returning
// REPO@sha256:.... A Go service or a RUN-less Dockerfile is built by
// 'paved build' (base-image policy included); with --dockerfile, Dagger
// builds the Dockerfile (RUN allowed) and pushes the result.
// +cache="never"
func (m *Paved) Build(
	ctx context.Context,
	// the service's source directory
	source *dagger.Directory,
	// repository to push to, REGISTRY/PATH
	repository string,
	// build this Dockerfile (relative to --source) with Dagger instead of paved
	// +optional
	dockerfile string,
	// Dockerfile stage to build (with --dockerfile)
	// +optional
	target string,
	// Dockerfile ARG values as KEY=VALUE (with --dockerfile)
	// +optional
	buildArgs []string,
	// base image of a Go service (paved.yaml's build.base), REPO:TAG or REPO@sha256:...
	// +optional
	base string,
	// more 'paved build' flags, e.g. --policy, --platform (without --dockerfile)
	// +optional
	args []string,
	// registry user name
	// +optional
	registryUsername string,
	// registry password or token
	// +optional
	registryPassword *dagger.Secret,
) (string, error) {
	if dockerfile != "" {
		img := source.DockerBuild(dagger.DirectoryDockerBuildOpts{Dockerfile: dockerfile, Target: target, BuildArgs: toBuildArgs(buildArgs)})
		if registryPassword != nil {
			img = img.WithRegistryAuth(registryHost(repository), registryUsername, registryPassword)
		}
		return img.Publish(ctx, repository)
	}
	out, err := uncached(m.paved(source, credentials{registryUsername: registryUsername, registryPassword: registryPassword})).
		WithExec(buildCommand(repository, base, args)).
		Stdout(ctx)
	if err != nil {
		return "", err
	}
	var res struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Reference == "" {
		return "", fmt.Errorf("reading the output of paved build: %v: %q", err, out)
	}
	return res.Reference, nil
}

// Sbom returns the SBOM of an image: --image (a registry reference), or the
// service in --source built as by Build without pushing. The image behind a
// tag, and the registry's credentials, may change between calls: never
// answered from Dagger's cache.
// +cache="never"
func (m *Paved) Sbom(
	ctx context.Context,
	// the service's source directory
	source *dagger.Directory,
	// image to describe, REPO@sha256:...; empty builds --source
	// +optional
	image string,
	// build this Dockerfile with Dagger (when --image is empty)
	// +optional
	dockerfile string,
	// base image of a Go service, as for Build (when --image is empty and no --dockerfile)
	// +optional
	base string,
	// more 'paved build' flags, e.g. --policy (when --image is empty and no --dockerfile)
	// +optional
	buildFlags []string,
	// SBOM format: spdx-json or cyclonedx-json
	// +optional
	// +default="spdx-json"
	format string,
	// registry user name
	// +optional
	registryUsername string,
	// registry password or token
	// +optional
	registryPassword *dagger.Secret,
) (*dagger.File, error) {
	ctr, ref := m.withImage(source, image, dockerfile, base, buildFlags, credentials{registryUsername: registryUsername, registryPassword: registryPassword})
	return ctr.
		WithExec([]string{"mkdir", "-p", outDir}).
		WithExec(sbomCommand(ref, format, outDir+"/sbom.json")).
		File(outDir + "/sbom.json").
		Sync(ctx)
}

// Scan scans an image (--image, or the service in --source built as by
// Build) against the vulnerability database and returns the report. A failed
// gate fails the call with paved's exit code 3 and its reason. The database
// changes every day: a verdict is never answered from Dagger's cache.
// +cache="never"
func (m *Paved) Scan(
	ctx context.Context,
	// the service's source directory
	source *dagger.Directory,
	// image to scan, REPO@sha256:...; empty builds --source
	// +optional
	image string,
	// build this Dockerfile with Dagger (when --image is empty)
	// +optional
	dockerfile string,
	// base image of a Go service, as for Build (when --image is empty and no --dockerfile)
	// +optional
	base string,
	// more 'paved build' flags, e.g. --policy (when --image is empty and no --dockerfile)
	// +optional
	buildFlags []string,
	// report format: sarif, json or table
	// +optional
	// +default="sarif"
	format string,
	// vulnerability database directory (trivy.db, metadata.json); default: 'paved db update' into a cache volume
	// +optional
	vulnDb *dagger.Directory,
	// OCI repository of the database for 'paved db update', e.g. a mirror (default: Trivy's)
	// +optional
	dbRepository string,
	// more 'paved scan' flags, e.g. --severity, --ignore-file
	// +optional
	args []string,
	// registry user name
	// +optional
	registryUsername string,
	// registry password or token
	// +optional
	registryPassword *dagger.Secret,
) (*dagger.File, error) {
	if _, ok := scanFormats[format]; !ok {
		return nil, fmt.Errorf("reading --format %q: use sarif, json or table", format)
	}
	ctr, ref := m.withImage(source, image, dockerfile, base, buildFlags, credentials{registryUsername: registryUsername, registryPassword: registryPassword})
	report := outDir + "/report"
	opts := dagger.ContainerWithExecOpts{}
	if scanFormats[format] == "" {
		opts.RedirectStdout = report
	}
	return withVulnDB(ctr, vulnDb, dbRepository).
		WithExec([]string{"mkdir", "-p", outDir}).
		WithExec(scanCommand(ref, dbDir, format, report, args), opts).
		File(report).
		Sync(ctx)
}

// withImage returns the paved container and the image reference paved
// reads: the registry reference given, or the service built from source as
// an OCI layout.
func (m *Paved) withImage(source *dagger.Directory, image, dockerfile, base string, buildFlags []string, c credentials) (*dagger.Container, string) {
	ctr := m.paved(source, c)
	if image != "" {
		return uncached(ctr), image
	}
	if dockerfile != "" {
		return ctr.WithMountedDirectory(imageDir, m.dockerImage(source, dockerfile, "", nil)), "oci-layout:" + imageDir
	}
	return ctr.WithExec(layoutCommand(imageDir, base, buildFlags)), "oci-layout:" + imageDir
}
