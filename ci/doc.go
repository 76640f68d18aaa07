// Package ci holds paved's thin CI wrappers, each pinning one paved version:
// the GitHub composite action (ci/github), the Dagger one-liner
// (ci/dagger), and the Renovate preset that moves those pins
// (ci/renovate/paved.json). The GitHub reusable workflow lives in
// .github/workflows and the GitLab CI/CD component in templates/, where
// GitHub and GitLab look for them. This package's tests check all of them.
package ci
