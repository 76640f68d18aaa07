package build

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/policy"
)

// annotations returns the manifest annotations of an image built on base:
// the caller's (source, revision, version, ...) plus the base, the creation
// time and paved's version, which the caller cannot override.
func annotations(o *Options, base *policy.Base) map[string]string {
	a := map[string]string{}
	for k, v := range o.Annotations {
		a[k] = v
	}
	a[oci.AnnotationCreated] = o.Created.UTC().Format(time.RFC3339)
	a[oci.AnnotationPipelineVersion] = version.Get()
	if base != nil {
		a[oci.AnnotationBaseName] = base.Ref.Name()
		a[oci.AnnotationBaseDigest] = base.Digest.DigestStr()
	}
	return a
}

// finish stamps the config's creation time and the manifest annotations.
func finish(img v1.Image, o *Options, base *policy.Base) (v1.Image, error) {
	img, err := mutate.CreatedAt(img, v1.Time{Time: o.Created})
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, annotations(o, base)).(v1.Image), nil
}
