package build

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/pipelines/policy"
)

// result wraps per-platform images: one image stays an image, several
// become an OCI image index carrying the same annotations.
func result(imgs []v1.Image, platforms []v1.Platform, o *Options, r *resolver, base *policy.Base) *Result {
	res := &Result{Bases: r.bases, Warnings: r.warnings}
	if len(imgs) == 1 {
		res.Image = imgs[0]
		return res
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i, img := range imgs {
		p := platforms[i]
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	res.Index = mutate.Annotations(idx, annotations(o, base)).(v1.ImageIndex)
	return res
}
