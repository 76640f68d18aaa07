package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/sign"
)

// Signing secrets come from the environment (the same names as Cosign's)
// or a terminal prompt, never from argv.
const (
	envKeyPassword = "COSIGN_PASSWORD"
	envIDToken     = "SIGSTORE_ID_TOKEN"
)

func init() {
	register(newSignCmd)
	register(newAttestCmd)
	register(newVerifyCmd)
	register(newKeysCmd)
}

// signFlags are the flags shared by sign and attest.
type signFlags struct {
	key       string
	force     bool
	keyless   bool
	fulcioURL string
	rekorURL  string
	output    string
}

func (f *signFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.key, "key", "", "private key: a cosign.key file, env://VAR or a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://); its password comes from $COSIGN_PASSWORD or a prompt")
	cmd.Flags().BoolVar(&f.force, "force", false, "add even if the same content is already attached with the same key")
	cmd.Flags().BoolVar(&f.keyless, "keyless", false, "sign keyless with Fulcio + Rekor and the CI's OIDC token (online; $SIGSTORE_ID_TOKEN or the GitHub Actions ID token)")
	cmd.Flags().StringVar(&f.fulcioURL, "fulcio-url", sign.DefaultFulcioURL, "Fulcio URL for --keyless")
	cmd.Flags().StringVar(&f.rekorURL, "rekor-url", sign.DefaultRekorURL, "Rekor URL for --keyless")
	outputFlag(cmd, &f.output)
}

// options turns the flags into library options; secrets are read here.
func (f *signFlags) options(stderr io.Writer) ([]sign.Option, error) {
	if err := checkOutput(f.output); err != nil {
		return nil, err
	}
	opts := []sign.Option{sign.WithKeychain(keychain()), sign.WithForce(f.force)}
	switch {
	case f.keyless && f.key != "":
		return nil, usageError{errors.New("--key and --keyless are exclusive")}
	case f.keyless:
		return append(opts, sign.WithKeyless(sign.Keyless{FulcioURL: f.fulcioURL, RekorURL: f.rekorURL, IDToken: os.Getenv(envIDToken)})), nil
	case f.key == "":
		return nil, usageError{errors.New("--key is required (or --keyless when online)")}
	}
	return append(opts, sign.WithKey(f.key), sign.WithPassword(keyPassword(stderr))), nil
}

// keyPassword returns the key password from $COSIGN_PASSWORD (even empty,
// as Cosign does) or, on a terminal, from a prompt.
func keyPassword(stderr io.Writer) sign.PassFunc {
	return func() ([]byte, error) {
		if pw, ok := os.LookupEnv(envKeyPassword); ok {
			return []byte(pw), nil
		}
		fd := int(os.Stdin.Fd())
		if !term.IsTerminal(fd) {
			return nil, failure.BadInputErr(errors.New("no key password: set COSIGN_PASSWORD (stdin is not a terminal to prompt on)"))
		}
		fmt.Fprint(stderr, "Enter password for private key: ")
		pw, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, fmt.Errorf("reading key password: %w", err)
		}
		return pw, nil
	}
}

// signTlogLine says where the transparency log stands, as the issue demands.
func signTlogLine(r *sign.Result) string {
	if r.TlogUpload {
		return "tlog upload: on (Rekor)"
	}
	return "tlog upload: off (offline)"
}

func printSignResult(w io.Writer, what, label string, r *sign.Result) {
	state := "added"
	if !r.Added {
		state = "already present with this key; nothing written (use --force to add again)"
	}
	fmt.Fprintf(w, "%s %s\n  %s: %s (%s)\n", what, r.Image, label, r.Tag, state)
	for _, t := range r.PredicateTypes {
		fmt.Fprintf(w, "  predicate: %s\n", t)
	}
	fmt.Fprintf(w, "  %s\n", signTlogLine(r))
}

func newSignCmd() *cobra.Command {
	var f signFlags
	cmd := &cobra.Command{
		Use:   "sign IMAGE@DIGEST",
		Short: "Sign an image digest with Cosign (offline, key-based by default)",
		Long: `Sign attaches a Cosign signature to an image digest, at REPO:sha256-<hex>.sig.
Tags are refused: sign digests only. Signing again with the same key adds nothing
unless --force. Offline by default: nothing is uploaded to a transparency log.`,
		Example: `  COSIGN_PASSWORD=... paved sign --key cosign.key registry.example.com/app@sha256:3f1c...
  paved sign --key awskms:///alias/paved registry.example.com/app@sha256:3f1c...
  paved sign --keyless registry.example.com/app@sha256:3f1c...   # online, in CI`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			image, err := oci.ParseDigest(args[0])
			if err != nil {
				return err
			}
			opts, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			res, err := sign.Sign(cmd.Context(), image, opts...)
			if err != nil {
				return err
			}
			if f.output == "json" {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			printSignResult(cmd.OutOrStdout(), "signed", "signature", res)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

// attestFlags are attest's predicate sources.
type attestFlags struct {
	signFlags
	sbom, scanReport, scanFinished, provenance string
	sourceRepo, sourceRevision, baseImage      string
	baseImageName                              string
	buildParams                                []string
	predicate, predicateType                   string
}

func newAttestCmd() *cobra.Command {
	var f attestFlags
	cmd := &cobra.Command{
		Use:   "attest IMAGE@DIGEST",
		Short: "Attach signed in-toto attestations (SBOM, vulnerability scan, SLSA provenance)",
		Long: `Attest attaches in-toto attestations in DSSE envelopes to an image digest, at
REPO:sha256-<hex>.att, in Cosign's format. All given attestations are written at once
or not at all; one already attached with the same key and content is skipped unless --force.

  --sbom FILE         SPDX or CycloneDX JSON (predicate https://spdx.dev/Document or https://cyclonedx.org/bom)
  --scan-report FILE  paved's scan report, as Cosign's vuln predicate (https://cosign.sigstore.dev/attestation/vuln/v1);
                      the scan time is --scan-finished, else the report's finishedAt, else the file's mtime
  --source-repo URL --source-revision SHA [--base-image REPO@DIGEST] [--build-param k=v]...
                      SLSA provenance v1, builder paved at its version
  --provenance FILE   a ready SLSA provenance v1 predicate
  --predicate FILE --type TYPE   any other predicate (a Cosign type name or a URI)`,
		Example: `  COSIGN_PASSWORD=... paved attest --key cosign.key \
    --sbom sbom.spdx.json --scan-report scan.json \
    --source-repo https://github.com/acme/app --source-revision 9f1e2d... \
    --base-image registry.example.com/base@sha256:0a1b... \
    registry.example.com/app@sha256:3f1c...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			image, err := oci.ParseDigest(args[0])
			if err != nil {
				return err
			}
			opts, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			preds, err := f.predicates()
			if err != nil {
				return err
			}
			res, err := sign.AttestAll(cmd.Context(), image, preds, opts...)
			if err != nil {
				return err
			}
			if f.output == "json" {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			printSignResult(cmd.OutOrStdout(), "attested", "attestations", res)
			return nil
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.sbom, "sbom", "", "SBOM file (SPDX or CycloneDX JSON)")
	fl.StringVar(&f.scanReport, "scan-report", "", "paved scan report JSON file")
	fl.StringVar(&f.scanFinished, "scan-finished", "", "when the scan finished (RFC 3339); default from the report")
	fl.StringVar(&f.provenance, "provenance", "", "SLSA provenance v1 predicate file")
	fl.StringVar(&f.sourceRepo, "source-repo", "", "source repository URL, for generated SLSA provenance")
	fl.StringVar(&f.sourceRevision, "source-revision", "", "source commit, for generated SLSA provenance")
	fl.StringVar(&f.baseImage, "base-image", "", "base image by digest, for generated SLSA provenance")
	fl.StringVar(&f.baseImageName, "base-image-name", "", "the base image as the build wrote it (REPO:TAG), recorded in the provenance so admission policies can match denials by tag")
	fl.StringArrayVar(&f.buildParams, "build-param", nil, "build parameter key=value, for generated SLSA provenance (repeatable)")
	fl.StringVar(&f.predicate, "predicate", "", "other predicate file (with --type)")
	fl.StringVar(&f.predicateType, "type", "", "predicate type of --predicate: a Cosign type name or a URI")
	return cmd
}

// predicates reads the predicate files named by the flags.
func (f *attestFlags) predicates() ([]sign.Predicate, error) {
	var preds []sign.Predicate
	if f.sbom != "" {
		b, err := readSignInput(f.sbom)
		if err != nil {
			return nil, err
		}
		t, err := sign.SBOMPredicateType(b)
		if err != nil {
			return nil, err
		}
		preds = append(preds, sign.Predicate{Type: t, Body: b})
	}
	if f.scanReport != "" {
		p, err := f.vulnPredicate()
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	if f.provenance != "" || f.sourceRepo != "" {
		p, err := f.provenancePredicate()
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	if (f.predicate == "") != (f.predicateType == "") {
		return nil, usageError{errors.New("--predicate and --type go together")}
	}
	if f.predicate != "" {
		b, err := readSignInput(f.predicate)
		if err != nil {
			return nil, err
		}
		preds = append(preds, sign.Predicate{Type: f.predicateType, Body: b})
	}
	if len(preds) == 0 {
		return nil, usageError{errors.New("nothing to attest: give --sbom, --scan-report, --source-repo/--provenance or --predicate")}
	}
	return preds, nil
}

func (f *attestFlags) vulnPredicate() (sign.Predicate, error) {
	b, err := readSignInput(f.scanReport)
	if err != nil {
		return sign.Predicate{}, err
	}
	st, err := os.Stat(f.scanReport)
	if err != nil {
		return sign.Predicate{}, failure.BadInputErr(fmt.Errorf("reading %q: %w", f.scanReport, err))
	}
	scan, err := sign.ScanFromReport(b, st.ModTime())
	if err != nil {
		return sign.Predicate{}, err
	}
	if f.scanFinished != "" {
		t, err := time.Parse(time.RFC3339, f.scanFinished)
		if err != nil {
			return sign.Predicate{}, usageError{fmt.Errorf("parsing --scan-finished %q: use RFC 3339 (2026-11-02T15:04:05Z)", f.scanFinished)}
		}
		scan.FinishedOn = t
	}
	body, err := sign.VulnPredicate(scan)
	return sign.Predicate{Type: sign.PredicateVuln, Body: body}, err
}

func (f *attestFlags) provenancePredicate() (sign.Predicate, error) {
	if f.provenance != "" {
		b, err := readSignInput(f.provenance)
		return sign.Predicate{Type: sign.PredicateProvenance, Body: b}, err
	}
	params := map[string]any{}
	for _, kv := range f.buildParams {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return sign.Predicate{}, usageError{fmt.Errorf("parsing --build-param %q: use key=value", kv)}
		}
		params[k] = v
	}
	body, err := sign.ProvenancePredicate(sign.Provenance{
		SourceRepository: f.sourceRepo, SourceRevision: f.sourceRevision,
		BaseImage: f.baseImage, BaseImageName: f.baseImageName, Parameters: params,
	})
	return sign.Predicate{Type: sign.PredicateProvenance, Body: body}, err
}

func readSignInput(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", path, err))
	}
	return b, nil
}

func newVerifyCmd() *cobra.Command {
	var key, require, maxAge, output, identity, issuer string
	cmd := &cobra.Command{
		Use:   "verify IMAGE@DIGEST",
		Short: "Verify an image's Cosign signature and required attestations (offline)",
		Long: `Verify checks, offline with a public key and without a transparency log, that the
digest carries a Cosign signature of itself and each --require'd attestation, and that the
newest vulnerability scan passed its gate and is not older than --max-scan-age.
Any failed check exits 3 and lists every reason.`,
		Example: `  paved verify --key cosign.pub --require sbom,vuln,provenance --max-scan-age 7d \
    registry.example.com/app@sha256:3f1c...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			image, err := oci.ParseDigest(args[0])
			if err != nil {
				return err
			}
			vo := sign.VerifyOptions{Key: key, Keychain: keychain()}
			if identity != "" || issuer != "" {
				vo.Keyless = &sign.Identity{Subject: identity, Issuer: issuer}
			}
			if vo.Require, err = sign.ParseRequire(require); err != nil {
				return err
			}
			if maxAge != "" {
				if vo.MaxScanAge, err = sign.ParseAge(maxAge); err != nil {
					return err
				}
			}
			v, err := sign.Verify(cmd.Context(), image, vo)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			printVerification(cmd.OutOrStdout(), v)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "public key: a cosign.pub file, env://VAR or a KMS URI")
	cmd.Flags().StringVar(&identity, "certificate-identity", "", "keyless: the signer's identity (online; with --certificate-oidc-issuer, instead of --key)")
	cmd.Flags().StringVar(&issuer, "certificate-oidc-issuer", "", "keyless: the OIDC issuer, e.g. https://token.actions.githubusercontent.com")
	cmd.Flags().StringVar(&require, "require", "", "attestations that must verify: sbom,vuln,provenance")
	cmd.Flags().StringVar(&maxAge, "max-scan-age", "", "maximum age of the newest vulnerability scan, e.g. 7d (implies vuln)")
	outputFlag(cmd, &output)
	return cmd
}

func printVerification(w io.Writer, v *sign.Verification) {
	fmt.Fprintf(w, "verified %s\n  signatures: %d\n", v.Image, v.Signatures)
	for t, n := range v.Attestations {
		fmt.Fprintf(w, "  attestation: %s (%d)\n", t, n)
	}
	if v.Scan != nil {
		fmt.Fprintf(w, "  scan: finished %s, gate passed: %t\n", v.Scan.FinishedOn.Format(time.RFC3339), v.Scan.Passed)
	}
	fmt.Fprintf(w, "  tlog: %s\n", v.Tlog)
}

func newKeysCmd() *cobra.Command {
	keys := &cobra.Command{
		Use:     "keys",
		Short:   "Manage Cosign signing keys",
		Example: `  COSIGN_PASSWORD=... paved keys generate --dir .`,
	}
	var dir string
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a Cosign-compatible encrypted key pair (cosign.key, cosign.pub)",
		Long: `Generate writes an ECDSA P-256 key pair in Cosign's format: cosign.key, encrypted
with the password from $COSIGN_PASSWORD (or typed twice on a terminal), and cosign.pub.
Existing files are never overwritten.`,
		Example: `  COSIGN_PASSWORD=... paved keys generate --dir ./keys`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := newKeyPassword(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			kp, err := sign.GenerateKeys(dir, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "private key: %s\npublic key: %s\n", kp.PrivateKey, kp.PublicKey)
			return nil
		},
	}
	gen.Flags().StringVar(&dir, "dir", ".", "directory to write cosign.key and cosign.pub into")
	keys.AddCommand(gen)
	return keys
}

// newKeyPassword reads a new key password from $COSIGN_PASSWORD or, on a
// terminal, typed twice.
func newKeyPassword(stderr io.Writer) ([]byte, error) {
	if pw, ok := os.LookupEnv(envKeyPassword); ok {
		return []byte(pw), nil
	}
	read := keyPassword(stderr)
	pw, err := read()
	if err != nil {
		return nil, err
	}
	fmt.Fprint(stderr, "Again: ")
	again, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return nil, fmt.Errorf("reading key password: %w", err)
	}
	if !bytes.Equal(pw, again) {
		return nil, failure.BadInputErr(errors.New("the two passwords differ"))
	}
	return pw, nil
}
