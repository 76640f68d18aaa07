// Package dist makes the files of a paved release that the CI wrappers
// install: for each OS and architecture a tar.gz holding the paved binary
// (paved_X.Y.Z_OS_ARCH.tar.gz), SHA256SUMS over every release file in
// sha256sum's format, and SHA256SUMS.sig, the platform key's signature of
// SHA256SUMS in `cosign sign-blob` format (base64 of an ECDSA P-256 DER
// signature over SHA-256), so a runner without Cosign verifies it with
// OpenSSL.
//
// `paved release publish` writes them from the images it built and
// verified; tests write them, with the same code, from a binary built once.
// ci/install.sh is the other side: it verifies the signature with the
// public key the wrapper pins, the SHA-256 of SHA256SUMS the wrapper pins
// for its own version, then the archive's SHA-256, and unpacks it.
package dist
