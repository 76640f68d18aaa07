package sign

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
	"github.com/sigstore/cosign/v2/pkg/oci"
	sigs "github.com/sigstore/cosign/v2/pkg/signature"

	"github.com/paved-dev/paved/pipelines/failure"
	pavedoci "github.com/paved-dev/paved/pipelines/oci"
)

// Attestation kinds that Verify can require.
const (
	KindSBOM       = "sbom"
	KindVuln       = "vuln"
	KindProvenance = "provenance"
)

// kindTypes lists the predicate types that satisfy each kind.
var kindTypes = map[string][]string{
	KindSBOM:       {PredicateSPDX, PredicateCycloneDX},
	KindVuln:       {PredicateVuln},
	KindProvenance: {PredicateProvenance},
}

// VerifyOptions says what Verify checks and how it reaches the registry.
type VerifyOptions struct {
	// Key is the public key: a cosign.pub file, env://VAR or a KMS URI.
	Key string
	// KeyPEM, when set, is the PEM public key itself (read by the caller,
	// from a GitOps repository for instance); Key then only names it in
	// messages.
	KeyPEM []byte
	// Keyless, instead of Key, accepts Fulcio certificates for one OIDC
	// identity, checked against the Sigstore trusted root and Rekor (online).
	Keyless *Identity
	// Require lists the attestation kinds that must verify: KindSBOM,
	// KindVuln, KindProvenance.
	Require []string
	// MaxScanAge, when positive, is how old the newest verified
	// vulnerability scan may be (its scanFinishedOn); it implies KindVuln.
	MaxScanAge time.Duration
	// Keychain gives registry credentials (authn.DefaultKeychain if nil).
	Keychain authn.Keychain
	// Transport is the HTTP transport for registry calls (optional).
	Transport http.RoundTripper
	// Now returns the current time (time.Now if nil).
	Now func() time.Time
}

// Verification is what a successful Verify found.
type Verification struct {
	// Image is the verified image, by digest.
	Image string `json:"image"`
	// Signatures is the number of signatures that verified.
	Signatures int `json:"signatures"`
	// Attestations counts the verified attestations by predicate type URI.
	Attestations map[string]int `json:"attestations"`
	// Scan is the newest verified vulnerability scan, if any.
	Scan *ScanVerdict `json:"scan,omitempty"`
	// Tlog reports that no transparency log was consulted (offline, key-based).
	Tlog string `json:"tlog"`

	predicates map[string]json.RawMessage
}

// Predicate returns the predicate of the last verified attestation of
// predicate type uri (the newest one attached), e.g. the SBOM a run
// attested, so that a re-run of the same input can read it back.
func (v *Verification) Predicate(uri string) (json.RawMessage, bool) {
	p, ok := v.predicates[uri]
	return p, ok
}

// ScanVerdict is the verdict of a verified vulnerability attestation.
type ScanVerdict struct {
	FinishedOn time.Time `json:"finishedOn"`
	Passed     bool      `json:"passed"`
}

// Verify checks that image carries a Cosign signature of its own digest and
// every required attestation: offline with vo.Key (no transparency log, as
// `cosign verify --insecure-ignore-tlog`), or online with vo.Keyless. A
// failed check is a policy failure whose one-line message lists each
// reason; an unreachable registry is transient, a bad key is bad input.
func Verify(ctx context.Context, image name.Digest, vo VerifyOptions) (*Verification, error) {
	require, err := requirements(vo)
	if err != nil {
		return nil, err
	}
	co, err := checkOpts(ctx, vo)
	if err != nil {
		return nil, err
	}
	o := &options{keychain: vo.Keychain, transport: vo.Transport}
	if err := checkImage(ctx, image, o); err != nil {
		if errors.Is(err, ErrImageNotFound) {
			return nil, failure.PolicyErr(err)
		}
		return nil, err
	}
	v := &Verification{Image: image.String(), Attestations: map[string]int{}, Tlog: "not checked (offline, key-based)"}
	if vo.Keyless != nil {
		v.Tlog = "verified (Rekor, keyless)"
	}
	var reasons []string
	sigs, _, err := cosign.VerifyImageSignatures(ctx, image, co)
	if err := registryErr(err); err != nil {
		return nil, err
	}
	if err != nil {
		reasons = append(reasons, fmt.Sprintf("no signature verifies with %s (%s): sign the digest with the matching key", signer(vo), oneLine(err)))
	}
	v.Signatures = len(sigs)
	reasons = append(reasons, verifyAttestations(ctx, image, co, require, vo, v)...)
	if len(reasons) > 0 {
		if l := leftover(ctx, image, v, require, vo); l != "" {
			reasons = append([]string{"the leftover of a failed run (" + l + "; paved deploys no such image: run the pipeline again, or delete it)"}, reasons...)
		}
		return v, failure.PolicyErr(fmt.Errorf("verifying %q: %s", image, strings.Join(reasons, "; ")))
	}
	return v, nil
}

// checkOpts returns Cosign's verification options: offline with the public
// key (no transparency log, no SCT), or keyless against the trusted root.
func checkOpts(ctx context.Context, vo VerifyOptions) (*cosign.CheckOpts, error) {
	co := &cosign.CheckOpts{
		IgnoreTlog:         true,
		IgnoreSCT:          true,
		ClaimVerifier:      cosign.SimpleClaimVerifier,
		RegistryClientOpts: ociOptions(ctx, vo.Keychain, vo.Transport),
	}
	hasKey := vo.Key != "" || len(vo.KeyPEM) > 0
	switch {
	case hasKey && vo.Keyless != nil:
		return nil, failure.BadInputErr(errors.New("verifying: give a public key or a keyless identity, not both"))
	case vo.Keyless != nil:
		return keylessCheckOpts(co, *vo.Keyless)
	case !hasKey:
		return nil, failure.BadInputErr(fmt.Errorf("verifying: %w: give one (cosign.pub, env://VAR or a KMS URI)", ErrNoPublicKey))
	case len(vo.KeyPEM) > 0:
		v, err := sigs.LoadPublicKeyRaw(vo.KeyPEM, crypto.SHA256)
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("loading public key %q: not a PEM public key: %w", vo.Key, err))
		}
		co.SigVerifier = v
		return co, nil
	}
	verifier, err := loadVerifier(ctx, vo.Key)
	if err != nil {
		return nil, err
	}
	co.SigVerifier = verifier
	return co, nil
}

// requirements validates and normalises the required kinds.
func requirements(vo VerifyOptions) ([]string, error) {
	set := map[string]bool{}
	for _, k := range vo.Require {
		k = strings.TrimSpace(k)
		if _, ok := kindTypes[k]; !ok {
			return nil, failure.BadInputErr(fmt.Errorf("verifying: unknown required attestation %q: use sbom, vuln or provenance", k))
		}
		set[k] = true
	}
	if vo.MaxScanAge > 0 {
		set[KindVuln] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// verifyAttestations verifies the attestations and returns the reasons
// why the required ones fail.
func verifyAttestations(ctx context.Context, image name.Digest, co *cosign.CheckOpts, require []string, vo VerifyOptions, v *Verification) []string {
	aco := *co
	aco.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	atts, _, err := cosign.VerifyImageAttestations(ctx, image, &aco)
	if err := registryErr(err); err != nil {
		return []string{err.Error()}
	}
	if err != nil && len(require) > 0 {
		return []string{fmt.Sprintf("no attestation verifies with %s (%s): attest the digest with the matching key", signer(vo), oneLine(err))}
	}
	var scans []ScanVerdict
	var reasons, foreign []string
	for _, att := range atts {
		ptype, pred, err := statementOf(att)
		if err != nil {
			continue
		}
		if ptype == PredicateVuln {
			s, err := scanVerdict(pred, image)
			if errors.Is(err, errOtherSubject) {
				foreign = append(foreign, err.Error())
				continue // a report of another image vouches for nothing here
			}
			if err != nil {
				reasons = append(reasons, fmt.Sprintf("vulnerability attestation unreadable: %v", err))
				continue
			}
			scans = append(scans, s)
		}
		v.Attestations[ptype]++
		if v.predicates == nil {
			v.predicates = map[string]json.RawMessage{}
		}
		v.predicates[ptype] = pred
	}
	for _, kind := range require {
		if !hasAny(v.Attestations, kindTypes[kind]) {
			reason := fmt.Sprintf("required %s attestation missing (predicate %s) or not signed by %s: run paved attest --%s", kind, strings.Join(kindTypes[kind], " or "), signer(vo), attestFlag[kind])
			if kind == KindVuln && len(foreign) > 0 {
				reason += fmt.Sprintf(" (%d ignored: %s)", len(foreign), strings.Join(foreign, "; "))
			}
			reasons = append(reasons, reason)
		}
	}
	if len(scans) == 0 || !contains(require, KindVuln) {
		return reasons
	}
	sort.Slice(scans, func(i, j int) bool { return scans[i].FinishedOn.After(scans[j].FinishedOn) })
	v.Scan = &scans[0]
	if !v.Scan.Passed {
		reasons = append(reasons, fmt.Sprintf("newest vulnerability scan (finished %s) failed its gate: fix or ignore the findings, rescan and attest", v.Scan.FinishedOn.Format(time.RFC3339)))
	}
	now := time.Now
	if vo.Now != nil {
		now = vo.Now
	}
	if age := now().Sub(v.Scan.FinishedOn); vo.MaxScanAge > 0 && age > vo.MaxScanAge {
		reasons = append(reasons, fmt.Sprintf("newest vulnerability scan finished %s, %s ago, older than the maximum scan age %s: rescan and attest", v.Scan.FinishedOn.Format(time.RFC3339), age.Round(time.Minute), vo.MaxScanAge))
	}
	return reasons
}

// attestFlag names the paved attest flag that adds each kind.
var attestFlag = map[string]string{KindSBOM: "sbom", KindVuln: "scan-report", KindProvenance: "source-repo"}

// statementOf decodes a verified attestation's in-toto statement.
func statementOf(att oci.Signature) (string, json.RawMessage, error) {
	raw, err := att.Payload()
	if err != nil {
		return "", nil, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", nil, err
	}
	b, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return "", nil, err
	}
	var st struct {
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "", nil, err
	}
	return st.PredicateType, st.Predicate, nil
}

// scanVerdict reads the gate verdict and finish time of a vuln predicate
// about image; a report about another image is errOtherSubject.
func scanVerdict(pred json.RawMessage, image name.Digest) (ScanVerdict, error) {
	var p struct {
		Scanner struct {
			Result json.RawMessage `json:"result"`
		} `json:"scanner"`
		Metadata attestation.Metadata `json:"metadata"`
	}
	if err := json.Unmarshal(pred, &p); err != nil {
		return ScanVerdict{}, err
	}
	passed, err := parseScanReport(p.Scanner.Result)
	if err != nil {
		return ScanVerdict{}, fmt.Errorf("scanner.result: %w", err)
	}
	if err := checkScanSubject(p.Scanner.Result, image); err != nil {
		return ScanVerdict{}, err
	}
	if p.Metadata.ScanFinishedOn.IsZero() {
		return ScanVerdict{}, errors.New("no metadata.scanFinishedOn")
	}
	return ScanVerdict{FinishedOn: p.Metadata.ScanFinishedOn, Passed: passed}, nil
}

// registryErr returns err classified when it is a registry or network
// failure rather than a failed verification.
func registryErr(err error) error {
	if err == nil {
		return nil
	}
	var nsf *cosign.ErrNoSignaturesFound
	var nms *cosign.ErrNoMatchingSignatures
	var nma *cosign.ErrNoMatchingAttestations
	if errors.As(err, &nsf) || errors.As(err, &nms) || errors.As(err, &nma) {
		return nil
	}
	if c := pavedoci.Classify(err); failure.KindOf(c) == failure.Transient {
		return failure.TransientErr(fmt.Errorf("reading signatures: %w", err))
	}
	return nil
}

// signer names who must have signed, for messages.
func signer(vo VerifyOptions) string {
	if vo.Keyless != nil {
		return fmt.Sprintf("identity %q of issuer %q", vo.Keyless.Subject, vo.Keyless.Issuer)
	}
	return fmt.Sprintf("key %q", vo.Key)
}

// oneLine folds Cosign's multi-line "no matching signatures" errors into
// one line, each distinct reason once.
func oneLine(err error) string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

func hasAny(m map[string]int, keys []string) bool {
	for _, k := range keys {
		if m[k] > 0 {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
