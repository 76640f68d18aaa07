// Package admission turns the rules paved enforces in the pipeline into
// admission policies, so that a cluster refuses what paved would not
// deploy.
//
// The rules come from two places paved already reads: the platform policy
// (pipelines/policy: allowed base repositories and denied bases with their
// dates and replacements) and each environment's gates in the GitOps
// repository's paved-gitops.yaml (pipelines/deploy: the signature key, the
// vulnerability verdict and the maximum scan age). Derive reads them into
// Rules; a Format renders Rules as the policy documents of one enforcer:
//
//   - "kyverno": Kyverno's ImageValidatingPolicy (policies.kyverno.io/v1);
//   - "kyverno-clusterpolicy": Kyverno's ClusterPolicy with verifyImages
//     (kyverno.io/v1), for clusters on Kyverno before 1.15;
//   - "policy-controller": Sigstore policy-controller's ClusterImagePolicy
//     (policy.sigstore.dev/v1beta1).
//
// Per environment the policies require: every image pinned by digest and
// from the repository of a service in paved-gitops.yaml; a Cosign signature
// with the environment's key; paved's vulnerability attestation
// (https://cosign.sigstore.dev/attestation/vuln/v1) with a passing gate no
// older than the maximum scan age; and SLSA provenance v1 whose base image
// (the resolved dependency named "base-image") comes from an allowed
// repository and is not denied as of the admission time. Every message
// starts with the name of the rule that refused (RuleDigest, …).
//
// Rendering is deterministic: the same rules give the same bytes, so the
// export is committed to the GitOps repository and a changed key or denial
// shows up as a diff; Stale tells a committed export from a fresh one.
package admission
