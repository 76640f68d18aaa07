// Package snapshot collects what one build-scan-deploy run produced — the
// run record's steps, the pushed image's config and annotations, the SBOM's
// package set, the gate verdict, the attested predicate types and the
// change the run made to its GitOps repository — normalised so that two
// paved versions run on the same inputs can be compared, and diffs two
// snapshots.
//
// Normalisation (what may legitimately differ between two paved versions or
// two runs, and why):
//
//   - the isolated registry's address (host:port) becomes REGISTRY: every
//     run gets its own registry on a free port;
//   - the annotations and labels dev.paved.pipeline.version (the version of
//     paved that ran: differs by design) and dev.paved.trace-id (a new trace
//     per run) are dropped;
//   - the run's own image digest in the GitOps change becomes sha256:DIGEST
//     (the manifest carries paved's version annotation, so the digest always
//     differs; the image's content is compared by its config and layer diff
//     ids instead); any other digest becomes sha256:OTHER, so deploying
//     another image than the one built is a difference;
//   - in versions.yaml, the values of paved_version, deployed_at, trace_id
//     and run_id become NORMALISED, and the diff's index lines are dropped
//     (blob ids follow from the digests).
//
// Step durations are reported, never diffed.
package snapshot
