package main

import (
	"strings"
	"time"

	"dagger/paved/internal/dagger"
)

// Paths inside the containers.
const (
	srcDir        = "/src"            // the service's source (--source)
	outDir        = "/out"            // files a function returns
	imageDir      = "/in/image"       // an image as an OCI layout directory
	dbDir         = "/var/lib/vulndb" // the vulnerability database
	cosignKeyPath = "/run/secrets/cosign.key"
	pavedBin      = "/usr/local/bin/paved"
	goModCache    = "/go/pkg/mod"
	goCache       = "/root/.cache/go-build"
)

// goContainer is the pinned Go image with the module and build caches
// mounted; paved is built in it and services' Go binaries are built by
// paved in it.
func (m *Paved) goContainer() *dagger.Container {
	return dag.Container().From(m.GoImage).
		WithMountedCache(goModCache, dag.CacheVolume("paved-go-mod")).
		WithMountedCache(goCache, dag.CacheVolume("paved-go-build"))
}

// binary is the paved CLI: the release installed and verified by
// ci/install.sh (the same script as the other wrappers), or, with
// FromSource, built from PavedSource. Both are cached by Dagger on their
// inputs: the version, download location and key, or the source.
func (m *Paved) binary() *dagger.File {
	if m.FromSource {
		return m.sourceBinary()
	}
	pinned := ""
	if m.PavedVersion == defaultPavedVersion {
		pinned = pinnedSHA256SUMS
	}
	return dag.Container().From(m.GoImage).
		WithMountedFile("/paved-install.sh", m.PavedSource.File("ci/install.sh")).
		WithEnvVariable("PAVED_VERSION", m.PavedVersion).
		WithEnvVariable("PAVED_RELEASE_URL", m.ReleaseURL).
		WithEnvVariable("PAVED_RELEASE_PUBLIC_KEY", m.ReleasePublicKey).
		WithEnvVariable("PAVED_PINNED_SHA256SUMS", pinned).
		WithEnvVariable("PAVED_INSTALL_DIR", "/paved-install").
		WithExec([]string{"sh", "-c", `cp "$(sh /paved-install.sh)/paved" ` + pavedBin}).
		File(pavedBin)
}

// sourceBinary builds the paved CLI from PavedSource. GOEXPERIMENT=jsonv2
// is for paved's own build only (Trivy needs encoding/json/v2); paved keeps
// it out of the service builds it runs. The version variable is in the
// source's module (github.com/paved-dev/paved, or …/v2 from v2 on).
func (m *Paved) sourceBinary() *dagger.File {
	build := `go build -trimpath -ldflags "-s -w -X $(go list -m)/internal/version.Version=$PAVED_VERSION" -o ` + pavedBin + ` ./cmd/paved`
	if m.PavedVersion == "" {
		build = `go build -trimpath -ldflags "-s -w" -o ` + pavedBin + ` ./cmd/paved`
	}
	return m.goContainer().
		WithEnvVariable("GOEXPERIMENT", "jsonv2").
		WithEnvVariable("CGO_ENABLED", "0").
		WithEnvVariable("PAVED_VERSION", m.PavedVersion).
		WithMountedDirectory("/paved", m.PavedSource).
		WithWorkdir("/paved").
		WithExec([]string{"sh", "-c", build}).
		File(pavedBin)
}

// credentials are the secrets a paved verb may need. Each reaches paved
// through the environment variable (or file) paved documents, never argv.
type credentials struct {
	registryUsername string
	registryPassword *dagger.Secret
	cosignKey        *dagger.Secret
	cosignPassword   *dagger.Secret
	gitToken         *dagger.Secret
}

// paved returns a container that runs paved in the service's source, with
// the credentials in place.
func (m *Paved) paved(source *dagger.Directory, c credentials) *dagger.Container {
	ctr := m.goContainer().
		WithFile(pavedBin, m.binary()).
		WithMountedDirectory(srcDir, source).
		WithWorkdir(srcDir).
		WithEnvVariable("CI", "true")
	if c.registryPassword != nil {
		ctr = ctr.WithEnvVariable("PAVED_REGISTRY_USERNAME", c.registryUsername).
			WithSecretVariable("PAVED_REGISTRY_PASSWORD", c.registryPassword)
	}
	if c.cosignKey != nil {
		ctr = ctr.WithMountedSecret(cosignKeyPath, c.cosignKey)
		if c.cosignPassword != nil {
			ctr = ctr.WithSecretVariable("COSIGN_PASSWORD", c.cosignPassword)
		} else {
			// An unencrypted key: paved (like Cosign) takes a set, empty
			// COSIGN_PASSWORD as "no password" instead of prompting.
			ctr = ctr.WithEnvVariable("COSIGN_PASSWORD", "")
		}
	}
	if c.gitToken != nil {
		ctr = ctr.WithSecretVariable("PAVED_GIT_TOKEN", c.gitToken)
	}
	return ctr
}

// uncached makes the next exec run on every call. Steps with side effects
// (push, sign, commit) must not be answered from Dagger's cache: secrets are
// not part of the cache key, and the registry or GitOps repository may have
// changed since.
func uncached(ctr *dagger.Container) *dagger.Container {
	return ctr.WithEnvVariable("PAVED_DAGGER_INVOCATION", time.Now().UTC().Format(time.RFC3339Nano))
}

// withVulnDB mounts the vulnerability database: the given directory, or a
// cache volume that 'paved db update' refreshes (online; from repository,
// a mirror, when given) once a day: the day is part of the exec, so Dagger
// answers later calls of the day from its cache, as trivy-action's cache key
// does.
func withVulnDB(ctr *dagger.Container, db *dagger.Directory, repository string) *dagger.Container {
	if db != nil {
		return ctr.WithMountedDirectory(dbDir, db)
	}
	return ctr.WithMountedCache(dbDir, dag.CacheVolume("paved-vulndb")).
		WithEnvVariable("PAVED_DB_DAY", time.Now().UTC().Format(time.DateOnly)).
		WithExec(dbUpdateCommand(dbDir, repository))
}

// dockerImage builds a Dockerfile with Dagger (RUN allowed) and returns the
// image as an OCI layout directory, the form paved reads.
func (m *Paved) dockerImage(source *dagger.Directory, dockerfile, target string, buildArgs []string) *dagger.Directory {
	opts := dagger.DirectoryDockerBuildOpts{Dockerfile: dockerfile, Target: target, BuildArgs: toBuildArgs(buildArgs)}
	tarball := source.DockerBuild(opts).AsTarball()
	return dag.Container().From(m.GoImage).
		WithMountedFile("/in/image.tar", tarball).
		WithExec([]string{"mkdir", "-p", imageDir}).
		WithExec([]string{"tar", "-xf", "/in/image.tar", "-C", imageDir}).
		Directory(imageDir)
}

// registryHost is the registry part of REGISTRY/PATH.
func registryHost(repository string) string {
	host, _, _ := strings.Cut(repository, "/")
	return host
}

// toBuildArgs turns KEY=VALUE strings into Dockerfile build arguments.
func toBuildArgs(kvs []string) []dagger.BuildArg {
	args := make([]dagger.BuildArg, 0, len(kvs))
	for _, kv := range kvs {
		name, value, _ := strings.Cut(kv, "=")
		args = append(args, dagger.BuildArg{Name: name, Value: value})
	}
	return args
}
