// Package scan finds known vulnerabilities in a container image or in its
// SBOM with the Trivy library, gates them by severity and ignore rules, and
// writes the result as a table, as JSON (schema below) or as SARIF 2.1.0.
//
//	r, err := scan.Image(ctx, "registry.example.com/app@sha256:...", scan.WithDBDir(dir))
//	r, err := scan.SBOM(ctx, "sbom.cdx.json", scan.WithDBDir(dir))
//
// Image reads an image from a registry reference, an OCI layout directory
// or a docker-save tarball; SBOM reads a CycloneDX or SPDX JSON document
// (as written by paved's sbom step), so a pipeline that already has the SBOM
// does not read the image's layers a second time. Both cover OS packages
// (Debian dpkg and the other distributions Trivy knows) and language
// packages (Go binaries, Python, npm, ...). Java archives are not analysed:
// that needs Trivy's separate Java DB.
//
// # Side effects
//
// Trivy is used as a library without its CLI runner: no version check, no
// telemetry, no change to Trivy's or net/http's process-wide HTTP
// transport (registry pulls use go-containerregistry with the transport
// given by WithTransport), no log output unless WithLogger is given (see
// vulndb.LogTo), and the only network access is the registry pull of a
// registry reference. The vulnerability database is read from WithDBDir and
// never downloaded here (see package vulndb).
//
// # Report schema (paved.dev/scan-report/v1)
//
// Report is the JSON document; report.schema.json in this directory is its
// JSON Schema (draft 2020-12) and ReportSchema holds the same bytes. Fields
// are only added within v1; a rename or removal makes v2. Times are RFC 3339
// in UTC. findings lists the findings that were not suppressed (sorted by
// severity, then id, then package); ignored lists those an unexpired ignore
// entry suppressed; expiredIgnores lists ignore entries past their expiry
// (their findings are back in findings); gate.failing lists the ids of the
// findings that failed the gate.
package scan
