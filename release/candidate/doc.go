// Package candidate is the release harness: it takes a paved release
// candidate and the previous release through the reference apps of
// release/apps.yaml on the same inputs, diffs what each produced, classifies
// every difference and decides whether the candidate passes.
//
// For each app and each of the two paved builds, a run gets a fresh
// directory: the app exported at its pinned commit with the fixtures, the
// app's own preparation (its CI wrapper's steps before paved), an embedded
// registry of its own holding the approved bases, and a fresh GitOps
// remote seeded from the fixture. Both builds get the same fixture
// vulnerability database, the same signing key and the same
// SOURCE_DATE_EPOCH (the pinned commit's time). A run that exits with the
// transient code 4 is retried once in a fresh directory.
//
// Verdicts per app: pass; regression (a difference the change notes do not
// name, or a candidate failure with nothing to blame it on); app-broken
// (the baseline fails at the same step: the app, not the candidate); and
// infra-flake (exit 4 twice: not blamed on the candidate, but the release
// does not pass). A quarantined app is run and reported and never blocks.
// The candidate passes when no unquarantined app has a verdict other than
// pass.
//
// Change notes name expected differences with a marker in the Unreleased
// section of CHANGELOG.md: "(release-diff: APP/STEP/ASPECT)", any segment
// "*", several keys comma-separated. See snapshot.Difference for the steps
// and aspects.
package candidate
