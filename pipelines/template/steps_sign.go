package template

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
)

// signOptions signs with the run's key, decrypted once for the sign,
// attest and record steps.
func (r *run) signOptions(ctx context.Context) ([]sign.Option, error) {
	r.signerOnce.Do(func() { r.signer, r.signerErr = sign.LoadSigner(ctx, r.key, r.o.password) })
	if r.signerErr != nil {
		return nil, r.signerErr
	}
	return []sign.Option{sign.WithSigner(r.signer), sign.WithKeychain(r.o.keychain), sign.WithTransport(r.o.transport)}, nil
}

func (r *run) sign(ctx context.Context) (record.Outputs, error) {
	opts, err := r.signOptions(ctx)
	if err != nil {
		return record.Outputs{}, err
	}
	res, err := sign.Sign(ctx, r.digest, opts...)
	if err != nil {
		return record.Outputs{}, err
	}
	r.signed = res
	return record.Outputs{Signature: res.Tag}, nil
}

func (r *run) attest(ctx context.Context) (record.Outputs, error) {
	preds, err := r.predicates()
	if err != nil {
		return record.Outputs{}, err
	}
	if r.reused != nil {
		// The digest carries the SBOM and provenance; the scan found
		// something new (skipAttest).
		preds = slices.DeleteFunc(preds, func(p sign.Predicate) bool { return p.Type != sign.PredicateVuln })
	}
	opts, err := r.signOptions(ctx)
	if err != nil {
		return record.Outputs{}, err
	}
	res, err := sign.AttestAll(ctx, r.digest, preds, opts...)
	if err != nil {
		return record.Outputs{}, err
	}
	r.attested = res
	types := res.PredicateTypes
	if len(types) == 0 {
		// Already attached by an earlier run of the same inputs.
		for _, p := range preds {
			types = append(types, sign.PredicateTypeURI(p.Type))
		}
	}
	return record.Outputs{Signature: res.Tag, Attestations: types}, nil
}

// predicates are the SBOM, the vulnerability scan and the SLSA provenance.
func (r *run) predicates() ([]sign.Predicate, error) {
	s, err := sign.ScanOf(r.report)
	if err != nil {
		return nil, err
	}
	vuln, err := sign.VulnPredicate(s)
	if err != nil {
		return nil, err
	}
	prov, err := sign.ProvenancePredicate(r.provenance())
	if err != nil {
		return nil, err
	}
	return []sign.Predicate{
		{Type: sign.PredicateCycloneDX, Body: r.bom.Document},
		{Type: sign.PredicateVuln, Body: vuln},
		{Type: sign.PredicateProvenance, Body: prov},
	}, nil
}

// provenance describes the build: the source, paved.yaml's build section
// and the base image, by digest.
func (r *run) provenance() sign.Provenance {
	p := sign.Provenance{
		SourceRepository: r.rec.Source.Repository,
		SourceRevision:   r.rec.Source.Revision,
		Parameters:       map[string]any{"service": r.cfg.Name, "build": r.cfg.Build, "image": r.repo.String()},
		InvocationID:     r.rec.RunID,
	}
	if n := len(r.built.Bases); n > 0 {
		p.BaseImage = r.built.Bases[n-1].Digest.String()
		p.BaseImageName = r.built.Bases[n-1].Ref.Name()
	}
	if len(r.built.Builder) > 0 {
		// BuildKit's version and frontend: what really ran the Dockerfile.
		p.Parameters["builder"] = r.built.Builder
	}
	if b := r.rec.Step(StepBuild); b != nil && b.StartedAt != nil {
		p.StartedOn = *b.StartedAt
		p.FinishedOn = time.Now().UTC()
		if b.FinishedAt != nil {
			p.FinishedOn = *b.FinishedAt
		}
	}
	return p
}

func (r *run) verify(ctx context.Context) (record.Outputs, error) {
	v, err := sign.Verify(ctx, r.digest, sign.VerifyOptions{
		Key: r.publicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance},
		Keychain: r.o.keychain, Transport: r.o.transport, Now: r.o.now,
	})
	if err != nil {
		return record.Outputs{}, err
	}
	r.verified = v
	return record.Outputs{Verified: v.Signatures}, nil
}

// record attaches the run record, as it stands before this step, as an
// in-toto attestation of predicate type record.Predicate.
func (r *run) record(ctx context.Context) (record.Outputs, error) {
	snap := *r.rec
	snap.Steps = nil
	for _, s := range r.rec.Steps {
		if s.Name != StepRunRecord {
			snap.Steps = append(snap.Steps, s)
		}
	}
	now := time.Now()
	snap.Status, snap.FinishedAt, snap.DurationSeconds = record.StatusOK, now.UTC(), now.Sub(snap.StartedAt).Seconds()
	body, err := json.Marshal(snap)
	if err != nil {
		return record.Outputs{}, fmt.Errorf("encoding run record: %w", err)
	}
	opts, err := r.signOptions(ctx)
	if err != nil {
		return record.Outputs{}, err
	}
	res, err := sign.AttestAll(ctx, r.digest, []sign.Predicate{{Type: record.Predicate, Body: body}}, opts...)
	if err != nil {
		return record.Outputs{}, err
	}
	return record.Outputs{Signature: res.Tag, Attestations: []string{record.Predicate}}, nil
}
