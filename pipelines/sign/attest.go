package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigoptions "github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/paved-dev/paved/pipelines/failure"
	pavedoci "github.com/paved-dev/paved/pipelines/oci"
)

// Predicate is one attestation to attach: a predicate type and its JSON body.
type Predicate struct {
	// Type is a Cosign predicate type name (spdxjson, cyclonedx, vuln,
	// slsaprovenance1, ...; see PredicateTypeURI) or a predicate type URI.
	Type string
	// Body is the predicate JSON (an SPDX or CycloneDX document, a Cosign
	// vuln predicate, a SLSA provenance predicate).
	Body []byte
}

// Attest attaches one in-toto attestation (a DSSE envelope signed with the
// key) to image, at the sha256-<hex>.att tag.
func Attest(ctx context.Context, image name.Digest, predicateType string, predicate []byte, opts ...Option) (*Result, error) {
	return AttestAll(ctx, image, []Predicate{{Type: predicateType, Body: predicate}}, opts...)
}

// AttestAll attaches several attestations to image in one registry write:
// either all new ones are attached or none is. An attestation whose
// statement is already attached under the same key is skipped unless
// WithForce. Result.PredicateTypes lists the predicate type URIs written.
func AttestAll(ctx context.Context, image name.Digest, preds []Predicate, opts ...Option) (*Result, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, failure.BadInputErr(err)
	}
	statements, err := statements(image, preds)
	if err != nil {
		return nil, err
	}
	if o.keyless != nil {
		return attestKeyless(ctx, image, preds, o)
	}
	sv, err := signerOf(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := checkImage(ctx, image, o); err != nil {
		return nil, err
	}
	ociOpts := ociOptions(ctx, o.keychain, o.transport)
	tag, err := ociremote.AttestationTag(image, ociOpts...)
	if err != nil {
		return nil, fmt.Errorf("naming attestation tag of %q: %w", image, err)
	}
	res := &Result{Image: image.String(), Tag: tag.String()}
	var se oci.SignedEntity = ociremote.SignedUnknown(image, ociOpts...)
	existing, err := existingStatements(se, sv)
	if err != nil {
		return nil, pavedoci.Classify(fmt.Errorf("reading attestations of %q: %w", image, err))
	}
	wrapped := dsse.WrapSigner(sv, types.IntotoPayloadType)
	for i, st := range statements {
		uri := PredicateTypeURI(preds[i].Type)
		if !o.force && existing[string(st)] {
			continue
		}
		env, err := wrapped.SignMessage(bytes.NewReader(st), sigoptions.WithContext(ctx))
		if err != nil {
			return nil, pavedoci.Classify(fmt.Errorf("signing %s attestation of %q with key %q: %w", uri, image, o.key, err))
		}
		att, err := static.NewAttestation(env, static.WithLayerMediaType(types.DssePayloadType),
			static.WithAnnotations(map[string]string{"predicateType": uri}))
		if err != nil {
			return nil, fmt.Errorf("making %s attestation of %q: %w", uri, image, err)
		}
		if se, err = mutate.AttachAttestationToEntity(se, att); err != nil {
			return nil, fmt.Errorf("attaching %s attestation to %q: %w", uri, image, err)
		}
		res.PredicateTypes = append(res.PredicateTypes, uri)
	}
	if len(res.PredicateTypes) == 0 {
		return res, nil
	}
	if err := ociremote.WriteAttestations(image.Repository, se, ociOpts...); err != nil {
		return nil, pavedoci.Classify(fmt.Errorf("writing attestations %q: %w", tag, err))
	}
	res.Added = true
	return res, nil
}

// statements builds the in-toto statement of each predicate with Cosign's
// own generator, so the JSON is what `cosign attest` would sign.
func statements(image name.Digest, preds []Predicate) ([][]byte, error) {
	if len(preds) == 0 {
		return nil, failure.BadInputErr(fmt.Errorf("attesting %q: no predicate given", image))
	}
	hex := image.DigestStr()[len("sha256:"):]
	out := make([][]byte, 0, len(preds))
	for _, p := range preds {
		if err := checkPredicateSubject(image, p); err != nil {
			return nil, err
		}
		st, err := attestation.GenerateStatement(attestation.GenerateOpts{
			Predicate: bytes.NewReader(p.Body),
			Type:      cosignTypeName(p.Type),
			Digest:    hex,
			Repo:      image.Repository.String(),
		})
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading %s predicate: %w", p.Type, err))
		}
		b, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("encoding %s statement: %w", p.Type, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// checkPredicateSubject refuses a vulnerability predicate whose scan report
// is of another image than the one it would be attested to.
func checkPredicateSubject(image name.Digest, p Predicate) error {
	if PredicateTypeURI(p.Type) != PredicateVuln {
		return nil
	}
	var pred struct {
		Scanner struct {
			Result json.RawMessage `json:"result"`
		} `json:"scanner"`
	}
	if err := json.Unmarshal(p.Body, &pred); err != nil {
		return failure.BadInputErr(fmt.Errorf("reading vuln predicate: %w", err))
	}
	if err := checkScanSubject(pred.Scanner.Result, image); err != nil {
		return failure.BadInputErr(fmt.Errorf("attesting %q: %w", image, err))
	}
	return nil
}

// envelope is a DSSE envelope as Cosign stores it in an attestation layer.
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
}

// existingStatements returns the in-toto statements already attached to se
// whose DSSE envelope verifies under the key of v.
func existingStatements(se oci.SignedEntity, v signature.Verifier) (map[string]bool, error) {
	atts, err := se.Attestations()
	if err != nil {
		return nil, err
	}
	list, err := atts.Get()
	if err != nil {
		return nil, err
	}
	dv := dsse.WrapVerifier(v)
	seen := map[string]bool{}
	for _, att := range list {
		raw, err := att.Payload()
		if err != nil {
			return nil, err
		}
		var env envelope
		if json.Unmarshal(raw, &env) != nil || env.PayloadType != types.IntotoPayloadType {
			continue
		}
		st, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil || dv.VerifySignature(bytes.NewReader(raw), nil) != nil {
			continue
		}
		seen[string(st)] = true
	}
	return seen, nil
}
