// Package vulndb manages the vulnerability database that paved's scan step
// reads: Trivy's BoltDB file (trivy.db) and its metadata.json, kept together
// in one directory (paved's --db-dir).
//
// The database gets into that directory in one of three ways:
//
//   - Update downloads it with Trivy's own code path (an OCI artifact,
//     by default from Trivy's public repositories, or from a mirror).
//   - Import copies it from a file: a trivy.db with its metadata.json
//     beside it, or a tar.gz holding both.
//   - BuildFixture builds a small database from the bolt-fixtures YAML
//     embedded in this package: real advisories for packages the reference
//     apps and base images contain. Tests and the demo use it.
//
// Open checks the directory before a scan (present, schema version, not
// stale, not corrupt, not empty) and fails with a bad-input error that says
// which command fixes it. Nothing here touches the network except Update.
//
// Trivy keeps the open database in a process-wide variable, so Open takes a
// process-wide lock that Handle.Close releases: scans in one process run one
// at a time against the database.
package vulndb
