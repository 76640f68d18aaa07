#!/bin/sh
# Installs a released paved for this machine's OS and architecture, the way
# every paved wrapper does (the GitHub action runs this file, the GitLab
# component carries a copy, the Dagger module mounts it): download the
# release archive, SHA256SUMS and SHA256SUMS.sig from
# $PAVED_RELEASE_URL/$PAVED_VERSION/, verify the signature of SHA256SUMS
# with the platform's public key (OpenSSL: Cosign's sign-blob format is an
# ECDSA P-256 DER signature over SHA-256, in base64), check the pinned
# SHA-256 of SHA256SUMS when this is the version the wrapper pins, check the
# archive against SHA256SUMS, and unpack it. The verified files stay in
# $PAVED_INSTALL_DIR/<version>/<os>-<arch>, which CI caches by version: a
# cached install downloads nothing and is verified again all the same.
#
#   PAVED_VERSION             vX.Y.Z to install (required)
#   PAVED_RELEASE_URL         where releases are, e.g. a mirror (required)
#   PAVED_RELEASE_PUBLIC_KEY  the release public key: PEM, or its base64 body on one line (required)
#   PAVED_PINNED_SHA256SUMS   "vX.Y.Z <sha256 of its SHA256SUMS>": the wrapper's pin (optional)
#   PAVED_INSTALL_DIR         cache directory (default ~/.cache/paved/install)
#
# Prints the directory holding the paved binary. Exit codes, as paved's: 2 bad
# input (no version, URL or key, an unsupported platform), 3 verification
# failed (signature, pin or checksum: nothing is installed), 4 a download
# failed (retrying may help).
set -eu

fail() { code=$1; shift; echo "paved install: $*" >&2; exit "$code"; }

version=${PAVED_VERSION:-}
url=${PAVED_RELEASE_URL:-}
key=${PAVED_RELEASE_PUBLIC_KEY:-}
[ -n "$version" ] || fail 2 "no version: set paved-version (PAVED_VERSION), e.g. v1.2.3"
case $version in v[0-9]*.[0-9]*.[0-9]*) ;; *) fail 2 "version $version is not vMAJOR.MINOR.PATCH: pin a release tag" ;; esac
[ -n "$url" ] || fail 2 "no release URL: set release-url (PAVED_RELEASE_URL)"
[ -n "$key" ] || fail 2 "no release public key: set release-public-key (PAVED_RELEASE_PUBLIC_KEY) to the platform's cosign.pub"

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) fail 2 "unsupported OS $(uname -s): paved is released for linux and darwin" ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail 2 "unsupported architecture $(uname -m): paved is released for amd64 and arm64" ;;
esac

archive="paved_${version#v}_${os}_${arch}.tar.gz"
root=${PAVED_INSTALL_DIR:-${HOME:-/tmp}/.cache/paved/install}
dir="$root/$version/$os-$arch"
files="$archive SHA256SUMS SHA256SUMS.sig"

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

download() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 2 -o "$2" "$1"
  else
    wget -q -O "$2" "$1"
  fi
}

# The work directory is inside the install directory, so the verified
# binary moves into place without another copy.
mkdir -p "$root" && work=$(mktemp -d "$root/.work.XXXXXX") ||
  fail 2 "cannot write the install directory $root: set PAVED_INSTALL_DIR to a writable directory"
trap 'rm -rf "$work"' EXIT
cached=true
for f in $files; do [ -f "$dir/$f" ] || cached=false; done
if [ "$cached" = true ]; then
  src=$dir # verified in place
  echo "paved install: $version from the cache ($dir)" >&2
else
  src=$work
  for f in $files; do
    download "$url/$version/$f" "$work/$f" || fail 4 "downloading $url/$version/$f failed: check release-url and that $version is released there"
  done
  echo "paved install: $version downloaded from $url/$version" >&2
fi

# The key: a PEM file, or the base64 of its DER on one line (how a YAML
# input carries it), made back into a PEM.
case $key in
  *"BEGIN PUBLIC KEY"*) printf '%s\n' "$key" >"$work/release.pub" ;;
  *) { echo "-----BEGIN PUBLIC KEY-----"; printf '%s' "$key" | tr -d ' \n' | fold -w 64; echo; echo "-----END PUBLIC KEY-----"; } >"$work/release.pub" ;;
esac
tr -d ' \n' <"$src/SHA256SUMS.sig" | base64 -d >"$work/SHA256SUMS.sig.der" 2>/dev/null ||
  fail 3 "SHA256SUMS.sig of $version is not a base64 signature: nothing was installed"
openssl dgst -sha256 -verify "$work/release.pub" -signature "$work/SHA256SUMS.sig.der" "$src/SHA256SUMS" >/dev/null 2>&1 ||
  fail 3 "the signature of SHA256SUMS of $version does not verify with the release public key: the release was not signed by the platform's key, or was changed since; nothing was installed"

sums=$(sha256 "$src/SHA256SUMS")
pinned=${PAVED_PINNED_SHA256SUMS:-}
if [ "${pinned%% *}" = "$version" ] && [ "${pinned#* }" != "$sums" ]; then
  fail 3 "SHA256SUMS of $version has sha256 $sums, but this wrapper pins ${pinned#* }: the download location serves another $version; nothing was installed"
fi

want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$src/SHA256SUMS")
[ -n "$want" ] || fail 3 "SHA256SUMS of $version lists no $archive: this release has no build for $os/$arch"
got=$(sha256 "$src/$archive")
[ "$got" = "$want" ] ||
  fail 3 "checksum mismatch for $archive: SHA256SUMS says sha256 $want, the file has $got: it is corrupt or was tampered with; nothing was installed"

mkdir -p "$work/bin"
tar -xzf "$src/$archive" -C "$work/bin" paved || fail 3 "unpacking $archive failed: it holds no paved binary"
got_version=$("$work/bin/paved" version) || fail 3 "the paved binary of $archive does not run on this machine"
[ "$got_version" = "$version" ] || fail 3 "$archive holds paved $got_version, not $version: nothing was installed"

# Keep the verified files (CI caches $dir by version), then the binary.
mkdir -p "$dir/bin"
if [ "$cached" = false ]; then
  for f in $files; do mv -f "$work/$f" "$dir/$f"; done
fi
mv -f "$work/bin/paved" "$dir/bin/paved"
echo "paved install: $version verified (signature, checksum) in $dir/bin" >&2
echo "$dir/bin"
