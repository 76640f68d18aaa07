// Package sign signs, attests and verifies container images with Cosign,
// used as a library: what paved writes is Cosign's own format (a signature
// at the REPO:sha256-<hex>.sig tag, in-toto DSSE attestations at
// REPO:sha256-<hex>.att), so stock `cosign verify` and
// `cosign verify-attestation` accept it.
//
// Images are signed by digest only. The default is offline and key-based:
// nothing is uploaded to a transparency log. Signing and attesting are
// idempotent: the same content under the same key is not added twice unless
// forced. Every entry point writes at most one manifest per call, after all
// signing succeeded, so a failure leaves no partial signature or attestation.
package sign
