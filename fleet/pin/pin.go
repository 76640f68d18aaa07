// Package pin finds what a service repository pins: the paved version in its
// CI wrappers, the base images of its Dockerfiles and paved.yaml, and the
// Terraform module refs. It reads file contents only; fetching the
// repository is someone else's job.
package pin

import (
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Kind is what a pin pins.
type Kind string

// Pin kinds.
const (
	// Paved is a pinned paved version (wrapper, Dagger module).
	Paved Kind = "paved"
	// Base is a base image (Dockerfile FROM, paved.yaml build.base).
	Base Kind = "base"
	// Module is a Terraform module source with ?ref=.
	Module Kind = "terraform"
)

// Sources: the kind of file a pin was found in.
const (
	SourceGitHub       = "github-actions"
	SourceGitLab       = "gitlab-component"
	SourceDaggerCall   = "dagger-call"
	SourceDaggerJSON   = "dagger.json"
	SourceDockerfile   = "dockerfile"
	SourcePavedYAML    = "paved.yaml"
	SourceTerraform    = "terraform"
	SourcePavedVersion = "paved-version-flag"
)

// Pin is one pinned reference found in one file.
type Pin struct {
	Kind Kind `json:"kind"`
	// Source is the kind of file it was found in (Source* constants).
	Source string `json:"source"`
	// File is the path inside the repository, slash-separated; Line is
	// 1-based (0 when unknown).
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	// Ref is what is pinned without its version: an action or component
	// path, a Dagger module, an image repository, a module source.
	Ref string `json:"ref"`
	// Version is the pinned version as written: a tag, a git ref, or the
	// version named in a "# vX.Y.Z" comment after a commit SHA. Empty for an
	// image pinned by digest only.
	Version string `json:"version,omitempty"`
	// Digest is an image's digest or a git commit SHA, when pinned.
	Digest string `json:"digest,omitempty"`
	// Semver reports whether Version is an exact semantic version
	// (vMAJOR.MINOR.PATCH, optionally with a pre-release).
	Semver bool `json:"semver"`
}

// Image returns a base pin as an image reference: Ref[:Version][@Digest].
func (p Pin) Image() string {
	s := p.Ref
	if p.Version != "" {
		s += ":" + p.Version
	}
	if p.Digest != "" {
		s += "@" + p.Digest
	}
	return s
}

// IsSemver reports whether v is an exact semantic version, with or without
// a leading "v": "v1.2.3" and "1.2.3-rc.1" are, "v1", "main" and a SHA are not.
func IsSemver(v string) bool {
	_, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
	return err == nil
}

// Wanted reports whether the file at p (slash-separated, relative to the
// repository root) may hold pins, so a caller reads only those files.
func Wanted(p string) bool {
	return scannerFor(p) != nil
}

// Scan returns the pins in the file at p with contents data, in file
// order. Files Wanted rejects have none. A file that cannot be parsed (a
// malformed Dockerfile, dagger.json or paved.yaml) is an error naming it.
func Scan(p string, data []byte) ([]Pin, error) {
	s := scannerFor(p)
	if s == nil {
		return nil, nil
	}
	pins, err := s(p, data)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(pins, func(i, j int) bool { return pins[i].Line < pins[j].Line })
	return pins, nil
}

type scanner func(file string, data []byte) ([]Pin, error)

var (
	githubFile = regexp.MustCompile(`(^|/)\.github/workflows/[^/]+\.ya?ml$|(^|/)action\.ya?ml$`)
	gitlabFile = regexp.MustCompile(`(^|/)\.gitlab-ci\.ya?ml$|(^|/)\.gitlab/ci/.+\.ya?ml$`)
	daggerFile = regexp.MustCompile(`\.(sh|ya?ml|mk)$|(^|/)(Makefile|Justfile|justfile)$`)
)

// scannerFor picks the scanner of a file by its path, nil when none.
func scannerFor(p string) scanner {
	base := path.Base(p)
	switch {
	case base == "dagger.json":
		return scanDaggerJSON
	case isDockerfile(base):
		return scanDockerfile
	case base == "paved.yaml":
		return both(scanPavedYAML, scanDaggerCalls)
	case strings.HasSuffix(base, ".tf"):
		return scanTerraform
	case githubFile.MatchString(p):
		return both(scanGitHub, scanDaggerCalls)
	case gitlabFile.MatchString(p):
		return both(scanGitLab, scanDaggerCalls)
	case daggerFile.MatchString(p):
		return scanDaggerCalls
	}
	return nil
}

func isDockerfile(base string) bool {
	return base == "Dockerfile" || base == "Containerfile" ||
		strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".Dockerfile") ||
		strings.HasSuffix(base, ".dockerfile")
}

// both runs two scanners on the same file and concatenates their pins.
func both(a, b scanner) scanner {
	return func(file string, data []byte) ([]Pin, error) {
		pa, err := a(file, data)
		if err != nil {
			return nil, err
		}
		pb, err := b(file, data)
		return append(pa, pb...), err
	}
}
