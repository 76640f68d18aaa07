// Package base assembles the platform's approved base images from real
// files: a root filesystem tarball (for example one made by mmdebstrap from
// Debian packages), or a static base for Go services taken from the files of
// the machine's Debian packages. Either way the Debian package database goes
// into the image with the files, so scanners see real packages.
package base

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/oci"
)

// DefaultPath is the PATH every base image sets.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Config is the image config and metadata of a base image.
type Config struct {
	// Platform the files are for.
	Platform v1.Platform
	// Created is every timestamp in the image (SOURCE_DATE_EPOCH).
	Created time.Time
	// User the image runs as; empty keeps root.
	User string
	// Env adds KEY=VALUE pairs after PATH.
	Env []string
	// Labels are config labels; Annotations are manifest annotations.
	Labels, Annotations map[string]string
}

// StaticIndex makes the static base (see Static) for each of platforms and
// returns them as an OCI image index. The files are the same for every
// platform (text and data: certificates, time zones, os-release); each
// image's config and its dpkg stanzas name its own architecture.
func StaticIndex(root string, c Config, platforms []v1.Platform) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		c.Platform = p
		img, err := Static(root, c)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.Annotations(idx, map[string]string{
		oci.AnnotationCreated: c.Created.UTC().Format(time.RFC3339), oci.AnnotationPipelineVersion: version.Get(),
	}).(v1.ImageIndex), nil
}

// image wraps layers into an OCI image with c's config.
func image(layers []v1.Layer, history []string, c Config) (v1.Image, error) {
	img := build.Empty()
	for i, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: c.Created}, CreatedBy: history[i], Comment: "paved base",
		}})
		if err != nil {
			return nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = c.Platform.OS, c.Platform.Architecture, c.Platform.Variant
	cf.Created = v1.Time{Time: c.Created}
	cf.Config.Env = append([]string{DefaultPath}, c.Env...)
	cf.Config.User = c.User
	cf.Config.Labels = c.Labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	ann := map[string]string{
		oci.AnnotationCreated:         c.Created.UTC().Format(time.RFC3339),
		oci.AnnotationPipelineVersion: version.Get(),
	}
	for k, v := range c.Annotations {
		ann[k] = v
	}
	return mutate.Annotations(img, ann).(v1.Image), nil
}
