// Package runner runs paved's CI wrappers for real on this machine, the way
// a service's CI runs them: its GitHub workflow with nektos/act in host mode
// (-P ubuntu-latest=-self-hosted), its .gitlab-ci.yml with gitlab-ci-local's
// shell executor. The wrappers come from a paved tree pinned to a release
// (ci/pins), and install paved from that release's files served over HTTP
// (release/dist), as in production.
//
// Only what is hosted is stood in, and every stand-in records what it was
// given: github.com's actions (checkout, setup-go, cache/restore,
// cache/save, upload-artifact, codeql-action/upload-sarif) are small local
// composite actions (standins/), and the GitLab instance that serves the
// component is a local HTTP server with GitLab's raw-file URLs and git's own
// smart HTTP (git http-backend) over the pinned tree.
//
// The release harness (release/candidate) runs every reference app through
// its wrapper with this package, and ci's wrapper tests use it for what
// each CI shows (summaries, reports, caches, a tampered download).
package runner
