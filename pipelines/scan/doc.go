// Package scan finds known vulnerabilities in a container image or in its
// SBOM with the Trivy library, gates them by severity and ignore rules
// (vuln.Evaluate), and writes the result as a table, as JSON (the schema is
// package vuln's) or as SARIF 2.1.0.
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
// # Report
//
// The report, its schema, the severities and the gate are package vuln's
// (vuln.Report, vuln.Evaluate), which imports no Trivy, so the signer and
// the CLI read the report without linking the scanner.
package scan
