package template

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/paved-dev/paved/pipelines/sbom"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/vuln"
)

// Re-running the pipeline on unchanged input builds the same digest, which
// an earlier run already signed and attested. When that digest carries a
// signature and SBOM, vulnerability and provenance attestations that
// verify with this run's public key, and its newest scan passed, the run
// reuses them: the sbom step reads the attested SBOM back instead of
// cataloguing, the scan runs against today's database as always, and sign,
// attest and record add nothing. Only a scan whose findings differ from
// the attested one is attested (its vulnerability attestation alone).

// reused is what an earlier run attached to the digest.
type reused struct {
	sbom *sbom.Result
	scan *vuln.Report // the attested scan report
}

// findReused returns what an earlier run of the same input attached, or
// nil: then the run does all the work, so a registry error here is never
// the run's failure.
func (r *run) findReused(ctx context.Context) *reused {
	v, err := sign.Verify(ctx, r.digest, sign.VerifyOptions{
		Key: r.publicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance},
		Keychain: r.o.keychain, Transport: r.o.transport, Now: r.o.now,
	})
	if err != nil || v.Signatures == 0 || v.Scan == nil || !v.Scan.Passed {
		return nil
	}
	doc, ok := v.Predicate(sign.PredicateCycloneDX)
	if !ok {
		return nil
	}
	bom, err := sbom.FromDocument(doc, r.digest.String(), r.digest.DigestStr())
	if err != nil {
		return nil
	}
	rep, err := attestedScan(v)
	if err != nil {
		return nil
	}
	return &reused{sbom: bom, scan: rep}
}

// attestedScan is the scan report of the verified vuln attestation.
func attestedScan(v *sign.Verification) (*vuln.Report, error) {
	pred, ok := v.Predicate(sign.PredicateVuln)
	if !ok {
		return nil, fmt.Errorf("no vulnerability attestation")
	}
	var p struct {
		Scanner struct {
			Result vuln.Report `json:"result"`
		} `json:"scanner"`
	}
	if err := json.Unmarshal(pred, &p); err != nil {
		return nil, err
	}
	return &p.Scanner.Result, nil
}

// sameFindings reports whether two scans found the same vulnerabilities in
// the same packages, and the gate judged them alike.
func sameFindings(a, b *vuln.Report) bool {
	key := func(r *vuln.Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, fmt.Sprintf("%s %s %s %s %s", f.ID, f.Package, f.Installed, f.Fixed, f.Severity))
		}
		for _, ig := range r.Ignored {
			out = append(out, fmt.Sprintf("ignored %s", ig.Finding.ID))
		}
		slices.Sort(out)
		return out
	}
	return a.Gate.Passed == b.Gate.Passed && slices.Equal(key(a), key(b))
}

// skipSign skips signing a digest an earlier run signed with this key.
func (r *run) skipSign() string {
	if r.reused != nil {
		return "reused: the digest carries this key's signature"
	}
	return ""
}

// skipAttest skips attesting again what the digest carries.
func (r *run) skipAttest() string {
	if r.reused != nil && sameFindings(r.reused.scan, r.report) {
		return "reused: the digest carries this key's SBOM, provenance and a scan with the same findings"
	}
	return ""
}

// skipRecord attaches no run record to a digest whose run is reused.
func (r *run) skipRecord() string {
	if r.reused != nil {
		return "reused: unchanged input attaches no new run record"
	}
	return ""
}
