package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/registry"
	"github.com/paved-dev/paved/release/publish"
)

func init() { registerRelease(newReleasePublishCmd) }

type releasePublishFlags struct {
	report, version, repo, mainPkg       string
	registry, registryDir, repository    string
	base, key, publicKey, outDir, remote string
	platforms                            []string
	dryRun                               bool
	output                               string
}

func newReleasePublishCmd() *cobra.Command {
	f := &releasePublishFlags{}
	cmd := &cobra.Command{
		Use:   "publish --candidate-report FILE --key KEY",
		Short: "Publish a paved candidate that passed: build, sign and verify the release, then tag it",
		Long: `publish releases the candidate that 'paved release candidate' passed.

It refuses, with nothing written: a dirty work tree or a shallow clone; a
candidate report that is missing, of another schemaVersion or an older
paved, whose verdict is not pass, that ran only some apps (partial), that
ran with another release/apps.yaml or CHANGELOG.md than HEAD's, that was
compared with another previous release than HEAD's history has, that was
built from another commit than HEAD (or from a dirty tree), or that is a
candidate of another version; a --version that is not semver or disagrees
with the change notes; a tag that exists here or on --push-remote.

The version comes from CHANGELOG.md's Unreleased notes and the highest
vX.Y.Z tag in HEAD's history: Breaking or Removed -> major, Added, Changed or
Deprecated -> minor, Fixed or Security -> patch. While the major version is
0, a breaking change bumps the minor version; v1.0.0 is reached only by
asking for it with --version. Without a previous tag the first release is
v0.1.0, or the --version asked for.

Then paved builds its own release with its own libraries: the --main package
for every --platform onto the static base (from this machine's Debian
packages, unless --base), pushed by digest only to --registry (default: an
embedded registry persisted in --registry-dir), an SPDX SBOM of each platform
image, Cosign signatures of the index and each image, an SBOM attestation of
each image, all verified with --public-key; what the CI wrappers install
goes to --out/vX.Y.Z: per platform the binary archive
(paved_X.Y.Z_OS_ARCH.tar.gz) and its SBOM, SHA256SUMS, and SHA256SUMS.sig
(cosign sign-blob's format, verified with --public-key). Only then is
CHANGELOG.md released, the wrappers pinned to the release (their default
version, the sha256 of SHA256SUMS, the public key; the reusable workflow's
and the reference apps' paved pins), committed ("chore(release): vX.Y.Z")
and tagged vX.Y.Z (annotated, at the root: what
'dagger call -m github.com/paved-dev/paved@vX.Y.Z' resolves), and the image
tagged vX.Y.Z in the registry; a registry tag vX.Y.Z at another image is
refused. If the commit, the tag or the image tag fails, the repository is
left as it was.
Nothing is pushed to git unless --push-remote.

COSIGN_PASSWORD is the key's password. Exit codes: 0 released (or dry run
passed), 1 internal, 2 bad input (dirty tree, missing report, version not
semver or disagreeing, existing tag), 3 the candidate did not pass, ran only
some apps, or the release did not verify, 4 transient (registry or git remote unreachable).`,
		Example: `  # What would be released, without writing anything
  paved release publish --candidate-report .paved/release/report.json --dry-run

  # Release into the embedded registry, tag locally
  COSIGN_PASSWORD=... paved release publish --candidate-report .paved/release/report.json \
    --key .paved/release/keys/cosign.key

  # Release to a registry and push the commit and the tag atomically
  COSIGN_PASSWORD=... paved release publish --candidate-report report.json --version v0.2.0 \
    --registry ghcr.io --repository paved-dev/paved --key cosign.key --push-remote origin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReleasePublish(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.report, "candidate-report", "", "JSON report of 'paved release candidate' (required)")
	fl.StringVar(&f.version, "version", "", "version to release, vX.Y.Z (default: what the change notes call for)")
	fl.StringVar(&f.repo, "repo", ".", "paved repository to release")
	fl.StringVar(&f.mainPkg, "main", publish.DefaultMain, "Go main package to build, relative to --repo")
	fl.StringSliceVar(&f.platforms, "platform", []string{"linux/amd64", "linux/arm64"}, "platforms of the release image")
	fl.StringVar(&f.registry, "registry", "", "registry to push to, HOST[:PORT] (default: an embedded registry on loopback)")
	fl.StringVar(&f.registryDir, "registry-dir", "", "directory of the embedded registry (default REPO/.paved/release/registry)")
	fl.StringVar(&f.repository, "repository", "paved-dev/paved", "repository path of the release image in the registry")
	fl.StringVar(&f.base, "base", "", "base image (default: the static base made from this machine's Debian packages)")
	fl.StringVar(&f.key, "key", "", "signing key: a cosign.key file, env://VAR or a KMS URI (password from $COSIGN_PASSWORD)")
	fl.StringVar(&f.publicKey, "public-key", "", "public key to verify with before tagging (default: KEY with .pub for .key)")
	fl.StringVar(&f.outDir, "out", "", "directory for the release files the wrappers install: archives, SBOMs, SHA256SUMS and its signature, in OUT/vX.Y.Z (default REPO/.paved/release/dist; \"-\" for none)")
	fl.StringVar(&f.remote, "push-remote", "", "git remote to push the release commit and tag to, atomically (default: push nothing)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "run every check and decide the version; build, write, commit and tag nothing")
	outputFlag(cmd, &f.output)
	return cmd
}

func runReleasePublish(cmd *cobra.Command, f *releasePublishFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	o, err := releasePublishOptions(cmd, f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	embedded := ""
	if !f.dryRun && f.registry == "" {
		addr, err := serveReleaseRegistry(ctx, f)
		if err != nil {
			return err
		}
		embedded = addr
		o.Repository = addr + "/" + f.repository
	}
	res, err := publish.Publish(ctx, o)
	if err != nil {
		return err
	}
	if f.output == "json" {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	printPublish(cmd.OutOrStdout(), res, embedded, f)
	return nil
}

func releasePublishOptions(cmd *cobra.Command, f *releasePublishFlags) (publish.Options, error) {
	platforms, err := parsePlatforms(f.platforms)
	if err != nil {
		return publish.Options{}, err
	}
	o := publish.Options{
		Dir: f.repo, CandidateReport: f.report, Version: f.version, DryRun: f.dryRun,
		Main: f.mainPkg, Platforms: platforms, Base: f.base,
		Key: f.key, PublicKey: f.publicKey, Password: keyPassword(cmd.ErrOrStderr()),
		Keychain: keychain(), PushRemote: f.remote,
		SourceURL: "https://github.com/paved-dev/paved",
	}
	if o.PublicKey == "" && strings.HasSuffix(f.key, ".key") {
		o.PublicKey = strings.TrimSuffix(f.key, ".key") + ".pub"
	}
	if f.registry != "" {
		o.Repository = strings.TrimSuffix(f.registry, "/") + "/" + f.repository
	}
	switch f.outDir {
	case "":
		o.OutDir = filepath.Join(f.repo, ".paved", "release", "dist")
	case "-":
	default:
		o.OutDir = f.outDir
	}
	return o, nil
}

// serveReleaseRegistry starts the embedded registry on a free loopback port
// until ctx ends and returns its address.
func serveReleaseRegistry(ctx context.Context, f *releasePublishFlags) (string, error) {
	if f.registryDir == "" {
		f.registryDir = filepath.Join(f.repo, ".paved", "release", "registry")
	}
	h, err := registry.Handler(f.registryDir)
	if err != nil {
		return "", err
	}
	l, err := registry.Listen("127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = registry.Serve(ctx, l, h) }()
	return l.Addr().String(), nil
}

func printPublish(w io.Writer, res *publish.Result, embedded string, f *releasePublishFlags) {
	what := res.Reason
	if res.Previous != "" {
		what = "after " + res.Previous + ": " + res.Reason
	}
	if res.DryRun {
		fmt.Fprintf(w, "dry run: would release %s, %s\n", res.Version, what)
		fmt.Fprintf(w, "  candidate  %s at %s\n  nothing was built, written, committed or tagged\n", res.Candidate, res.CandidateCommit)
		return
	}
	fmt.Fprintf(w, "released %s, %s\n", res.Version, what)
	fmt.Fprintf(w, "  candidate  %s at %s\n", res.Candidate, res.CandidateCommit)
	fmt.Fprintf(w, "  image      %s (signed, SBOM attested, verified)\n", res.Image)
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if ref, ok := res.Platforms[p]; ok {
			fmt.Fprintf(w, "  %-10s %s\n", p, ref)
		}
	}
	for p, ref := range res.Platforms {
		if p != "linux/amd64" && p != "linux/arm64" {
			fmt.Fprintf(w, "  %-10s %s\n", p, ref)
		}
	}
	if embedded != "" {
		fmt.Fprintf(w, "  registry   embedded, data in %s (serve it again: paved registry serve --dir %s)\n", f.registryDir, f.registryDir)
	}
	fmt.Fprintf(w, "  tag        %s at commit %s (chore(release): %s)\n", res.Tag, res.Commit, res.Version)
	for _, file := range res.Files {
		fmt.Fprintf(w, "  file       %s\n", file)
	}
	if len(res.Files) > 0 {
		fmt.Fprintf(w, "  upload     %s to the release download location (GitHub release %s, or your mirror)\n", filepath.Dir(res.Files[0]), res.Version)
	}
	for _, file := range res.Pinned {
		fmt.Fprintf(w, "  pinned     %s\n", file)
	}
	if res.Pushed != "" {
		fmt.Fprintf(w, "  pushed     the commit and %s to %s\n", res.Tag, res.Pushed)
	} else {
		fmt.Fprintf(w, "  not pushed: git push --atomic origin HEAD %s\n", res.Tag)
	}
}
