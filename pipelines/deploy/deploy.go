// Package deploy changes what runs where through a GitOps repository: it
// pins a service's manifests to an image digest (Helm values, a Kustomize
// images entry or plain Kubernetes manifests), records the deployment in
// versions.yaml, and commits and pushes both in one commit through go-git.
//
// The repository's paved-gitops.yaml declares the services' layouts and the
// ordered environments with their gates. Every verb that makes an image
// enter an environment (Bump, Promote, Switch, Rollback) checks first that
// the image is in its registry and passes that environment's gates. Every
// verb (and WriteRoutes) clones the repository, edits it, and pushes one
// commit; a push rejected because another pipeline pushed first is retried
// from a fresh fetch, so concurrent pipelines do not lose each other's
// changes. A verb whose edit changes nothing makes no commit.
package deploy

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
)

// Verifier checks that an image passes an environment's gate before it
// enters that environment. The default verifies Cosign signatures and
// attestations with pipelines/sign; WithVerifier replaces it.
type Verifier interface {
	// Verify returns nil when image passes every check gate asks for: a
	// signature that verifies with gate.SignatureKey, and, with
	// gate.VulnerabilityScan, a vulnerability-scan attestation that passed.
	// A failed check is a failure.PolicyErr that says what failed and why.
	Verify(ctx context.Context, image name.Digest, gate Gate) error
}
