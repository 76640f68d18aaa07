// Package build turns a service's source into an OCI image without a
// container daemon: Go services are compiled with the local toolchain and
// layered onto an approved base (ko-style), and Dockerfiles whose
// instructions need no running container are executed directly.
//
// Every base image is resolved from tag to digest and checked against the
// platform policy before anything is built, and every timestamp comes from
// SOURCE_DATE_EPOCH, so the same source on the same base gives the same
// digest.
package build

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/policy"
)

// Builder builds one service's image.
type Builder interface {
	// Build produces the image. It pushes and writes nothing: publishing is
	// the caller's step, so a failed build leaves no trace anywhere.
	Build(ctx context.Context) (*Result, error)
}

// Result is a built image: a single-platform Image or, when several
// platforms were asked for, an Index of them.
type Result struct {
	// Image is set when one platform was built.
	Image v1.Image
	// Index is set when several platforms were built.
	Index v1.ImageIndex
	// Bases are the base images used, as written and as resolved, in the
	// order they were first used. The last one is the final stage's base.
	Bases []policy.Base
	// Warnings are policy warnings (denials that apply from a later date).
	Warnings []string
	// Timings splits the build's wall time by phase (compile, layer, ...).
	Timings map[string]float64
	// Builder records what built the image when it was not paved itself:
	// for a BuildKit build, its version and frontend (keys Builder*).
	Builder map[string]string
}

// Digest returns the digest of the built image or index.
func (r *Result) Digest() (v1.Hash, error) {
	if r.Index != nil {
		return r.Index.Digest()
	}
	if r.Image != nil {
		return r.Image.Digest()
	}
	return v1.Hash{}, fmt.Errorf("build result holds no image")
}
