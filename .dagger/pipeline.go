package main

import (
	"context"

	"dagger/paved/internal/dagger"
)

// Sign signs a pushed image (REPO@sha256:...) with a Cosign key and returns
// paved's output. The key and its password are Dagger secrets, mounted as a
// file and set as COSIGN_PASSWORD.
// +cache="never"
func (m *Paved) Sign(
	ctx context.Context,
	// the service's source directory (paths in --args are relative to it)
	source *dagger.Directory,
	// image to sign, REPO@sha256:...
	image string,
	// Cosign private key (cosign.key)
	cosignKey *dagger.Secret,
	// password of the key; omit for an unencrypted key
	// +optional
	cosignPassword *dagger.Secret,
	// more 'paved sign' flags, e.g. --force
	// +optional
	args []string,
	// registry user name
	// +optional
	registryUsername string,
	// registry password or token
	// +optional
	registryPassword *dagger.Secret,
) (string, error) {
	c := credentials{registryUsername: registryUsername, registryPassword: registryPassword, cosignKey: cosignKey, cosignPassword: cosignPassword}
	return uncached(m.paved(source, c)).
		WithExec(signCommand(image, cosignKeyPath, args)).
		Stdout(ctx)
}

// Deploy pins the service in one environment of the GitOps repository to a
// pushed image (REPO@sha256:...) with one commit, and returns paved's
// output ('paved deploy bump').
// +cache="never"
func (m *Paved) Deploy(
	ctx context.Context,
	// the service's source directory (paths in --args are relative to it)
	source *dagger.Directory,
	// GitOps repository URL (https:// or ssh://)
	repo string,
	// service name, as in paved-gitops.yaml
	service string,
	// environment, as in paved-gitops.yaml
	env string,
	// image to deploy, REPO@sha256:...
	image string,
	// HTTPS token for the GitOps repository
	// +optional
	gitToken *dagger.Secret,
	// more 'paved deploy bump' flags, e.g. --version, --source-revision
	// +optional
	args []string,
) (string, error) {
	return uncached(m.paved(source, credentials{gitToken: gitToken})).
		WithExec(deployCommand(repo, service, env, image, args)).
		Stdout(ctx)
}

// BuildScanDeploy runs 'paved run build-scan-deploy' for the service in
// --source: build, push, SBOM, scan, gate, sign and attest, verify and the
// GitOps bump, as its paved.yaml says. It returns the directory of the run's
// outputs: the run record (paved-run.json) and the reports (SBOM, scan JSON
// and SARIF). A Dockerfile with RUN needs a container to build: build it with
// Build --dockerfile, then Scan, Sign and Deploy its digest.
// +cache="never"
func (m *Paved) BuildScanDeploy(
	ctx context.Context,
	// the repository (or directory) that holds the service
	source *dagger.Directory,
	// the service's directory inside --source, where its paved.yaml is
	// +optional
	// +default="."
	service string,
	// environment to deploy to; default: the first in paved.yaml
	// +optional
	env string,
	// vulnerability database directory; default: 'paved db update' into a cache volume
	// +optional
	vulnDb *dagger.Directory,
	// OCI repository of the database for 'paved db update', e.g. a mirror (default: Trivy's)
	// +optional
	dbRepository string,
	// registry user name
	// +optional
	registryUsername string,
	// registry password or token
	// +optional
	registryPassword *dagger.Secret,
	// Cosign private key; default: the key paved.yaml names
	// +optional
	cosignKey *dagger.Secret,
	// password of the Cosign key
	// +optional
	cosignPassword *dagger.Secret,
	// HTTPS token for the GitOps repository
	// +optional
	gitToken *dagger.Secret,
	// more 'paved run build-scan-deploy' flags, e.g. --skip-deploy, --registry
	// +optional
	args []string,
) (*dagger.Directory, error) {
	c := credentials{registryUsername: registryUsername, registryPassword: registryPassword, cosignKey: cosignKey, cosignPassword: cosignPassword, gitToken: gitToken}
	key := ""
	if cosignKey != nil {
		key = cosignKeyPath
	}
	return uncached(withVulnDB(m.paved(source, c), vulnDb, dbRepository)).
		WithExec([]string{"mkdir", "-p", outDir}).
		WithExec(runCommand(service, env, outDir, dbDir, key, args)).
		Directory(outDir).
		Sync(ctx)
}
