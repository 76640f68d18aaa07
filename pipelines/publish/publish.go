// Package publish puts a built image where the next step can find it: a
// registry (always by digest), an OCI layout directory, or an image tarball.
// Publishing happens only after a build succeeded, so a failed build never
// leaves a partial image behind.
package publish

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Artifact is what a build produced: a single-platform image or an index.
// Exactly one field is set.
type Artifact struct {
	Image v1.Image
	Index v1.ImageIndex
}

// Digest returns the artifact's manifest digest.
func (a Artifact) Digest() (v1.Hash, error) {
	switch {
	case a.Index != nil:
		return a.Index.Digest()
	case a.Image != nil:
		return a.Image.Digest()
	}
	return v1.Hash{}, fmt.Errorf("artifact holds no image")
}

// Publisher writes an artifact to one destination.
type Publisher interface {
	// Publish writes a and returns where it is: a digest reference for a
	// registry, the layout directory or tarball path otherwise.
	Publish(ctx context.Context, a Artifact) (string, error)
}

// Result records where an artifact was published.
type Result struct {
	// Digest is the manifest digest, "sha256:…".
	Digest string `json:"digest"`
	// Reference is REPO@DIGEST when the artifact was pushed to a registry.
	Reference string `json:"reference,omitempty"`
	// Locations lists every destination written, in order.
	Locations []string `json:"locations"`
}

// All publishes a to every publisher in order and stops at the first error.
func All(ctx context.Context, a Artifact, pubs ...Publisher) (*Result, error) {
	d, err := a.Digest()
	if err != nil {
		return nil, err
	}
	res := &Result{Digest: d.String()}
	for _, p := range pubs {
		loc, err := p.Publish(ctx, a)
		if err != nil {
			return nil, err
		}
		if _, ok := p.(*registryPublisher); ok && res.Reference == "" {
			res.Reference = loc
		}
		res.Locations = append(res.Locations, loc)
	}
	return res, nil
}

// digestRef is repo@digest.
func digestRef(repo name.Repository, d v1.Hash) name.Digest {
	return repo.Digest(d.String())
}
