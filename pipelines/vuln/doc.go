// Package vuln is paved's vulnerability scan report and its gate: the
// report (paved.dev/scan-report/v1) that package scan fills with Trivy's
// findings, the severity list, the ignore file (.paved-ignore.yaml) and
// Evaluate, which applies a Policy to a report once. It imports no scanner,
// so the signer, the CLI and the fleet read a report as the real type.
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
package vuln
