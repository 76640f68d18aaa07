// Package publish releases paved: it takes a candidate that passed
// `paved release candidate`, builds paved's own release with paved's
// libraries (a multi-platform image, its SBOMs, signatures and SBOM
// attestations, verified with the public key), and only then moves the
// Unreleased change notes into the new version's section of CHANGELOG.md,
// commits that and creates the annotated tag vX.Y.Z at the commit.
//
// Every check comes before anything is written: a dirty work tree, a
// candidate that did not pass or was built from another commit, a requested
// version that is not semver or disagrees with the change notes, and a tag
// that exists are refused with nothing pushed, committed or tagged. If the
// commit or the tag fails, the repository is left as it was.
package publish

import (
	"context"
	"net/http"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/sign"
)

// Defaults of Options.
const (
	// DefaultMain is paved's main package.
	DefaultMain = "./cmd/paved"
	// DefaultVersionVar is the variable paved's version is stamped into.
	DefaultVersionVar = "github.com/paved-dev/paved/internal/version.Version"
	// DefaultDebianRoot is where the static base's Debian files come from.
	DefaultDebianRoot = "/"
)

// DefaultPlatforms are the platforms a release is built for.
var DefaultPlatforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

// DefaultGoEnv is the go command environment paved needs (Trivy imports
// encoding/json/v2).
var DefaultGoEnv = []string{"GOEXPERIMENT=jsonv2"}

// Options say what to publish and where. Zero fields take the defaults
// above; Repository, Key and PublicKey are required unless DryRun.
type Options struct {
	// Dir is a directory in the repository to release (default ".").
	Dir string
	// CandidateReport is the JSON report of `paved release candidate`.
	CandidateReport string
	// Version is the version asked for, "vX.Y.Z"; empty takes the one the
	// change notes call for.
	Version string
	// DryRun runs every check and decides the version, then stops: nothing
	// is built, pushed, written, committed or tagged.
	DryRun bool

	// Main is the Go main package to build, relative to the repository root.
	Main string
	// VersionVar is the Go variable the version is stamped into (-X).
	VersionVar string
	// GoEnv is added to the go command's environment.
	GoEnv []string
	// Platforms to build.
	Platforms []v1.Platform
	// SourceURL is the source repository recorded in the image annotations.
	SourceURL string

	// Repository is where the release image goes, REGISTRY/PATH; it is
	// pushed by digest and tagged with the version only after it verified.
	Repository string
	// Base is the base image; empty assembles the static base from the
	// Debian packages under DebianRoot and pushes it to BaseRepository.
	Base           string
	BaseRepository string
	DebianRoot     string
	// Keychain and Transport reach the registry (defaults: Docker config,
	// http.DefaultTransport).
	Keychain  authn.Keychain
	Transport http.RoundTripper

	// Key signs (a cosign.key file, env://VAR or a KMS URI) with Password;
	// PublicKey verifies before anything is tagged.
	Key       string
	Password  sign.PassFunc
	PublicKey string

	// OutDir, when set, receives in OutDir/VERSION what the CI wrappers
	// install: the binary archives, SBOMs, SHA256SUMS and its signature.
	OutDir string
	// PushRemote, when set, is the git remote the commit and tag are pushed
	// to, atomically. Nothing is pushed otherwise.
	PushRemote string
	// Now is the clock for the changelog date and the git signatures.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Main == "" {
		o.Main = DefaultMain
	}
	if o.VersionVar == "" {
		o.VersionVar = DefaultVersionVar
	}
	if o.GoEnv == nil {
		o.GoEnv = DefaultGoEnv
	}
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms
	}
	if o.DebianRoot == "" {
		o.DebianRoot = DefaultDebianRoot
	}
	if o.BaseRepository == "" && o.Repository != "" {
		o.BaseRepository = o.Repository + "/base"
	}
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Result is what a publish did.
type Result struct {
	// Version is the released version, "vX.Y.Z"; Previous the release
	// before it ("" for the first); Reason what the change notes call for.
	Version  string `json:"version"`
	Previous string `json:"previous,omitempty"`
	Reason   string `json:"reason"`
	// Candidate is the candidate's version and commit.
	Candidate       string `json:"candidate"`
	CandidateCommit string `json:"candidateCommit"`
	// DryRun is true when nothing was written.
	DryRun bool `json:"dryRun"`
	// Image is the release index, REPO@sha256:…; Base the base it is on.
	Image string `json:"image,omitempty"`
	Base  string `json:"base,omitempty"`
	// Platforms are the platform images, REPO@sha256:… by platform.
	Platforms map[string]string `json:"platforms,omitempty"`
	// Verified is true when the signatures and SBOM attestations verified.
	Verified bool `json:"verified"`
	// Files are the files written into OutDir/VERSION: per platform the
	// binary archive and its SBOM, SHA256SUMS and SHA256SUMS.sig.
	Files []string `json:"files,omitempty"`
	// SumsSHA256 is the sha256 (hex) of SHA256SUMS, which the wrappers pin.
	SumsSHA256 string `json:"sha256sums,omitempty"`
	// Pinned are the wrapper files the release commit pinned to the
	// release (ci/pins), slash-separated, relative to the repository.
	Pinned []string `json:"pinned,omitempty"`
	// Commit is the release commit; Tag the annotated tag at it.
	Commit string `json:"commit,omitempty"`
	Tag    string `json:"tag,omitempty"`
	// Pushed names the remote the commit and tag were pushed to.
	Pushed string `json:"pushed,omitempty"`
}

// publisher carries one publish through its steps.
type publisher struct {
	o         Options
	repo      *repo
	candidate *Candidate
	head      *object.Commit
	branch    plumbing.ReferenceName
	version   string
	created   time.Time
	res       *Result
}

// Publish checks, builds, signs, verifies, then commits and tags, in the
// order of the steps in checks and release. A failed check is classified:
// bad input (dirty tree, not semver, disagreeing version, existing tag,
// missing report), policy (the candidate did not pass), transient (the
// registry or the remote).
func Publish(ctx context.Context, opts Options) (*Result, error) {
	p := &publisher{o: opts.withDefaults(), res: &Result{}}
	for _, step := range p.checks() {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if p.o.DryRun {
		p.res.DryRun = true
		return p.res, nil
	}
	if err := p.release(ctx); err != nil {
		return nil, err
	}
	return p.res, nil
}
