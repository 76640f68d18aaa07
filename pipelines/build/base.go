package build

import (
	"context"
	"fmt"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/policy"
)

// Scratch is the empty base image.
const Scratch = "scratch"

// Empty returns an empty OCI image (no layers, OCI media types), the start of
// "FROM scratch" and of bases assembled from files.
func Empty() v1.Image {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// resolver resolves base image references to digests once per build,
// checks each against the policy, and picks the image for a platform.
type resolver struct {
	o        *Options
	mu       sync.Mutex
	resolved map[string]*remote.Descriptor
	bases    []policy.Base
	warnings []string
}

func newResolver(o *Options) *resolver {
	return &resolver{o: o, resolved: map[string]*remote.Descriptor{}}
}

// first is the first base resolved, nil when there is none (scratch).
func (r *resolver) first() *policy.Base {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bases) == 0 {
		return nil
	}
	return &r.bases[0]
}

// image resolves ref (checking it against the policy the first time) and
// returns its image for platform p. "scratch" is the empty image.
func (r *resolver) image(ctx context.Context, ref string, p v1.Platform) (v1.Image, error) {
	if ref == Scratch {
		return Empty(), nil
	}
	desc, err := r.resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, oci.Classify(fmt.Errorf("reading base image index %q: %w", ref, err))
		}
		return platformImage(idx, ref, p)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, oci.Classify(fmt.Errorf("reading base image %q: %w", ref, err))
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, oci.Classify(fmt.Errorf("reading base image config %q: %w", ref, err))
	}
	if cfg.OS != "" && (cfg.OS != p.OS || cfg.Architecture != p.Architecture) {
		return nil, failure.BadInputErr(fmt.Errorf("base image %q is for %s/%s, not %s: use a multi-platform base or build %s/%s only",
			ref, cfg.OS, cfg.Architecture, p.String(), cfg.OS, cfg.Architecture))
	}
	return img, nil
}

// resolve fetches ref's descriptor once, records it as a base and checks it
// against the policy.
func (r *resolver) resolve(ctx context.Context, ref string) (*remote.Descriptor, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.resolved[ref]; ok {
		return d, nil
	}
	parsed, err := oci.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if err := r.o.Policy.CheckRepository(parsed); err != nil {
		return nil, err
	}
	desc, err := remote.Get(parsed, oci.Remote(ctx, r.o.Keychain, r.o.Transport)...)
	if err != nil {
		return nil, oci.Classify(fmt.Errorf("resolving base image %q: %w", ref, err))
	}
	base := policy.Base{Ref: parsed, Digest: parsed.Context().Digest(desc.Digest.String())}
	decision, err := r.o.Policy.Check(base, r.o.Now())
	if err != nil {
		return nil, err
	}
	r.warnings = append(r.warnings, decision.Warnings...)
	r.bases = append(r.bases, base)
	r.resolved[ref] = desc
	return desc, nil
}

func platformImage(idx v1.ImageIndex, ref string, p v1.Platform) (v1.Image, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, oci.Classify(fmt.Errorf("reading base image index %q: %w", ref, err))
	}
	var have []string
	for _, m := range im.Manifests {
		if m.Platform == nil {
			continue
		}
		if m.Platform.Satisfies(p) {
			img, err := idx.Image(m.Digest)
			if err != nil {
				return nil, oci.Classify(fmt.Errorf("reading base image %q for %s: %w", ref, p.String(), err))
			}
			return img, nil
		}
		have = append(have, m.Platform.String())
	}
	return nil, failure.BadInputErr(fmt.Errorf("base image %q has no %s image (it has %v): pick a base that does or drop the platform", ref, p.String(), have))
}
