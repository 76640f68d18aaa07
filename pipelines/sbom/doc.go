// Package sbom generates software bills of materials of container images
// with the Syft library: SPDX 2.3 JSON and CycloneDX 1.6 JSON.
//
// An image is read from a Source: a registry reference, an OCI image layout
// directory, a docker save tarball, or a v1.Image already in memory (so a
// pipeline that has just built or pulled an image analyses it once). Paved
// loads every source itself with go-containerregistry and hands the image to
// Syft; Syft never chooses a source, so it never probes a Docker, Podman or
// containerd socket, and registry credentials come only from the keychain
// given with WithKeychain.
//
// Syft catalogs Debian packages (dpkg), Go binaries (modules and the Go
// standard library version), Python and npm packages, and whatever else its
// default image catalogers find. No cataloger uses the network.
//
// The document is reproducible: for the same image, format and Syft version
// it has the same bytes. The creation time is the image's creation time
// (override with WithCreated, e.g. from SOURCE_DATE_EPOCH), and the SPDX
// namespace and CycloneDX serial number are derived from the image digest.
package sbom
