// Package testimage builds small, real container images for tests of the
// scan and SBOM steps, without a Docker daemon.
//
// An image from New is a Debian 12 look-alike that scanners recognise: an
// os-release and debian_version file, a dpkg status database with real
// Debian 12 package stanzas, a Python distribution (dist-info METADATA), an
// npm package (node_modules/<name>/package.json) and a real, statically
// linked Go binary compiled by the test from a tiny main package that
// imports golang.org/x/text at a chosen version (v0.3.7 is affected by
// CVE-2022-32149, v0.3.8 is fixed).
//
// Every layer is a deterministic tar (fixed times, owners and modes), so the
// same Options give the same image digest for the same Go toolchain. The Go
// binary is compiled once per x/text version and toolchain and cached in the
// system temp directory across test runs; its first build needs the Go
// module proxy (or a warm module cache).
//
// Push, WriteLayout and WriteTarball put an image where the code under test
// reads it: an in-process registry on loopback, an OCI layout directory or a
// docker save tarball.
package testimage
