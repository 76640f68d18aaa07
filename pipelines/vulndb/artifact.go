package vulndb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/paved-dev/paved/pipelines/failure"
)

// The OCI artifact Trivy's client downloads (trivy pkg/db, pkg/oci).
const (
	artifactLayerMediaType  = types.MediaType("application/vnd.aquasec.trivy.db.layer.v1.tar+gzip")
	artifactConfigMediaType = types.MediaType("application/vnd.aquasec.trivy.config.v1+json")
	artifactFile            = "db.tar.gz"
)

// Artifact returns the database in dir as the OCI artifact that Update
// (Trivy's client) downloads: one layer of Trivy's database media type,
// db.tar.gz holding trivy.db and metadata.json. Pushed to a registry, it
// serves the database as a mirror does: for tests, and for a registry that
// cannot reach Trivy's. The database is checked first.
func Artifact(dir string) (v1.Image, error) {
	if _, err := Check(dir, -1, timeNow()); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{DBFile, MetadataFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", filepath.Join(dir, name), err))
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), artifactConfigMediaType)
	return mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(buf.Bytes(), artifactLayerMediaType),
		Annotations: map[string]string{"org.opencontainers.image.title": artifactFile},
	})
}
