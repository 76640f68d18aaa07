// Package service reads a service's paved.yaml: what to build, where to push
// it, which policy, gate and key apply, and where it is deployed. Decoding is
// strict: an unknown key is an error that names the file, the line and the
// closest known key. schema/paved.schema.json is the same schema for editors.
package service

import (
	"os"
	"path/filepath"
	"strings"
)

// APIVersion and Kind identify a paved.yaml document.
const (
	APIVersion = "paved.dev/v1"
	Kind       = "Service"
	// ConfigFile is a service's configuration file name.
	ConfigFile = "paved.yaml"
)

// Build kinds.
const (
	BuildGo         = "go"
	BuildDockerfile = "dockerfile"
)

// Config is a service's paved.yaml. Relative paths in it are relative to the
// directory that holds the file (Dir).
type Config struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	// Name is the service's name; it is also its name in the GitOps
	// repository unless GitOps.Service says otherwise.
	Name  string      `yaml:"name" json:"name"`
	Build BuildConfig `yaml:"build" json:"build"`
	Image ImageConfig `yaml:"image" json:"image"`
	// Policy is the platform policy: a file path or an http(s) URL.
	Policy string `yaml:"policy,omitempty" json:"policy,omitempty"`
	// Scan is the vulnerability gate.
	Scan ScanConfig `yaml:"scan,omitempty" json:"scan,omitempty"`
	// Signing names the signing key.
	Signing SigningConfig `yaml:"signing,omitempty" json:"signing,omitempty"`
	// GitOps is where the image is deployed.
	GitOps GitOpsConfig `yaml:"gitops,omitempty" json:"gitops,omitempty"`
	// Sources lists extra paths (files or directories, relative to Dir)
	// whose changes affect the service, such as a shared library in a
	// monorepo; `paved changed` reads them.
	Sources []string `yaml:"sources,omitempty" json:"sources,omitempty"`

	// File is the path the configuration was read from; Dir its directory.
	File string `yaml:"-" json:"-"`
	Dir  string `yaml:"-" json:"-"`
}

// BuildConfig says how the image is built.
type BuildConfig struct {
	// Kind is "go" (a Go main package layered onto Base, ko-style) or
	// "dockerfile" (a RUN-less Dockerfile).
	Kind string `yaml:"kind" json:"kind"`
	// Dir is the build directory (Go module or Docker context), relative to
	// the paved.yaml directory; default ".".
	Dir string `yaml:"dir,omitempty" json:"dir,omitempty"`
	// Main is the Go main package, relative to Dir (Go; default ".").
	Main string `yaml:"main,omitempty" json:"main,omitempty"`
	// Dockerfile is the Dockerfile, relative to Dir (default "Dockerfile").
	Dockerfile string `yaml:"dockerfile,omitempty" json:"dockerfile,omitempty"`
	// Base is the Go service's base image (REPO:TAG or REPO@DIGEST).
	Base string `yaml:"base,omitempty" json:"base,omitempty"`
	// ExtraFiles are files put next to a Go binary.
	ExtraFiles []ExtraFile `yaml:"extraFiles,omitempty" json:"extraFiles,omitempty"`
	// Platforms to build, OS/ARCH (default linux/amd64).
	Platforms []string `yaml:"platforms,omitempty" json:"platforms,omitempty"`
	// VersionVar is the Go variable stamped with the version (-X); default
	// main.version, as for paved build.
	VersionVar string `yaml:"versionVar,omitempty" json:"versionVar,omitempty"`
	// Env are KEY=VALUE variables of a Go service's image.
	Env []string `yaml:"env,omitempty" json:"env,omitempty"`
	// WorkDir is a Go service's working directory (default /), User the
	// user it runs as (default 65532:65532) and Labels its image labels,
	// as paved build's --workdir, --user and --label.
	WorkDir string            `yaml:"workdir,omitempty" json:"workdir,omitempty"`
	User    string            `yaml:"user,omitempty" json:"user,omitempty"`
	Labels  map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// BuildArgs are Dockerfile ARG values.
	BuildArgs map[string]string `yaml:"buildArgs,omitempty" json:"buildArgs,omitempty"`
	// Target is the Dockerfile stage to build (default: the last).
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
}

// ExtraFile is a file put into a Go service's image.
type ExtraFile struct {
	// Src is relative to the build directory.
	Src string `yaml:"src" json:"src"`
	// Dst is the absolute path in the image (default /app/<base name>).
	Dst string `yaml:"dst,omitempty" json:"dst,omitempty"`
}

// ImageConfig is where the image is pushed.
type ImageConfig struct {
	// Repository is REGISTRY/PATH, without tag or digest.
	Repository string `yaml:"repository" json:"repository"`
	// Tags also point at the pushed digest (for people; deployments use
	// the digest).
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// ScanConfig is the vulnerability gate.
type ScanConfig struct {
	// Severity lists the severities that fail the gate (default CRITICAL
	// and HIGH).
	Severity []string `yaml:"severity,omitempty" json:"severity,omitempty"`
	// IgnoreUnfixed lets findings without a fixed version pass.
	IgnoreUnfixed bool `yaml:"ignoreUnfixed,omitempty" json:"ignoreUnfixed,omitempty"`
	// IgnoreFile is the ignore file (default .paved-ignore.yaml when it
	// exists).
	IgnoreFile string `yaml:"ignoreFile,omitempty" json:"ignoreFile,omitempty"`
}

// SigningConfig names the keys. Secrets never go here: a key's password
// comes from COSIGN_PASSWORD.
type SigningConfig struct {
	// Key is the private key: a cosign.key file, env://VAR or a KMS URI
	// (awskms://, gcpkms://, azurekms://, hashivault://).
	Key string `yaml:"key,omitempty" json:"key,omitempty"`
	// PublicKey verifies the signature (default: the KMS URI itself, or the
	// key file with .pub instead of .key).
	PublicKey string `yaml:"publicKey,omitempty" json:"publicKey,omitempty"`
}

// GitOpsConfig is the deployment target.
type GitOpsConfig struct {
	// Repository is the GitOps repository URL (https://, ssh:// or a path).
	Repository string `yaml:"repository,omitempty" json:"repository,omitempty"`
	// Branch is the branch to commit to (default main).
	Branch string `yaml:"branch,omitempty" json:"branch,omitempty"`
	// Service is the service's name in paved-gitops.yaml (default Name).
	Service string `yaml:"service,omitempty" json:"service,omitempty"`
	// Environments lists the environments build-scan-deploy may deploy to;
	// the first is the default. Promotion to the others goes through
	// `paved deploy promote`.
	Environments []string `yaml:"environments,omitempty" json:"environments,omitempty"`
}

// Path resolves p, relative to the paved.yaml directory, unless it is
// absolute, a URL or an env:// or KMS reference.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// BuildDir is the build directory.
func (c *Config) BuildDir() string { return c.Path(orDefault(c.Build.Dir, ".")) }

// GitOpsService is the service's name in the GitOps repository.
func (c *Config) GitOpsService() string { return orDefault(c.GitOps.Service, c.Name) }

// IgnoreFile returns the ignore file to use: the configured one, else
// .paved-ignore.yaml in the paved.yaml directory when it exists, else "".
func (c *Config) IgnoreFile() string {
	if c.Scan.IgnoreFile != "" {
		return c.Path(c.Scan.IgnoreFile)
	}
	def := c.Path(".paved-ignore.yaml")
	if _, err := os.Stat(def); err == nil {
		return def
	}
	return ""
}

// PublicKey returns the key that verifies signatures made with key.
func PublicKey(key, configured string) string {
	switch {
	case configured != "":
		return configured
	case strings.Contains(key, "://") && !strings.HasPrefix(key, "env://"):
		return key // a KMS key verifies with its own URI
	case strings.HasSuffix(key, ".key"):
		return strings.TrimSuffix(key, ".key") + ".pub"
	}
	return ""
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
