package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const testDigest = "sha256:abababababababababababababababababababababababababababababababab"

// TestLayoutGolden edits real-world files and compares them byte for byte with
// golden files; it also checks that only the expected lines changed.
func TestLayoutGolden(t *testing.T) {
	tests := []struct {
		name    string
		service Service
		file    string
		img     Image
		changed int // lines that differ from the input
	}{
		{"helm values with comments", Service{Layout: LayoutHelm, Path: "helm", Image: "ghcr.io/acme/api"}, "helm/values.yaml",
			Image{Repository: "ghcr.io/acme/api", Digest: testDigest, Version: "v1.5.0"}, 2},
		{"kustomization with several images", Service{Layout: LayoutKustomize, Path: "kustomize", Image: "registry.acme.internal/mirror/checkout", Kustomize: KustomizeLayout{Name: "ghcr.io/acme/checkout"}}, "kustomize/kustomization.yaml",
			Image{Repository: "registry.acme.internal/mirror/checkout", Digest: testDigest, Version: "v1.0.0"}, 2},
		{"multi-document manifest", Service{Layout: LayoutManifests, Path: "manifests", Image: "ghcr.io/acme/worker"}, "manifests/all.yaml",
			Image{Repository: "ghcr.io/acme/worker", Digest: testDigest, Version: "v3.2.0"}, 3},
	}
	fsys := osfs.New("testdata/golden")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.service
			require.NoError(t, svc.defaults("svc", 1))
			ch, err := editImage(fsys, target{name: "svc", svc: &svc, env: "prod"}, tt.img)
			require.NoError(t, err)
			require.Len(t, ch, 1)
			fc := ch[tt.file]
			require.NotNil(t, fc)
			golden := filepath.Join("testdata/golden", tt.file+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, fc.New, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), string(fc.New))
			require.Equal(t, tt.changed, changedLines(string(fc.Old), string(fc.New)))

			// Editing again with the same image changes nothing.
			again := memfs.New()
			require.NoError(t, writeFile(again, tt.file, fc.New))
			for _, f := range []string{"kustomize/deployment.yaml"} {
				data, _ := os.ReadFile(filepath.Join("testdata/golden", f))
				require.NoError(t, writeFile(again, f, data))
			}
			ch, err = editImage(again, target{name: "svc", svc: &svc, env: "prod"}, tt.img)
			require.NoError(t, err)
			require.Empty(t, ch)
		})
	}
}

// changedLines counts the lines added by the edit.
func changedLines(a, b string) int {
	n := 0
	for _, l := range strings.Split(unifiedDiff([]*fileChange{{Path: "f", Old: []byte(a), New: []byte(b)}}), "\n") {
		if strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++") {
			n++
		}
	}
	return n
}

func TestLayoutMismatch(t *testing.T) {
	tests := []struct {
		name    string
		service Service
		want    string
	}{
		{"missing values file", Service{Layout: LayoutHelm, Path: "nope", Image: "ghcr.io/acme/api"}, "nope/values.yaml: no such file"},
		{"no container runs the image", Service{Layout: LayoutManifests, Path: "manifests", Image: "ghcr.io/acme/other"}, "found no container running ghcr.io/acme/other: the containers there (cleanup runs ghcr.io/acme/worker@sha256:2222"},
		{"no container has the name", Service{Layout: LayoutManifests, Path: "manifests", Image: "ghcr.io/acme/worker", Manifests: ManifestsLayout{Container: "api"}}, "found no container named api"},
		{"helm key path parent missing", Service{Layout: LayoutHelm, Path: "helm", Image: "ghcr.io/acme/api", Helm: HelmLayout{Digest: "deploy.image.digest"}}, "key deploy.image.digest is missing"},
	}
	fsys := osfs.New("testdata/golden")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.service
			require.NoError(t, svc.defaults("svc", 1))
			_, err := editImage(fsys, target{name: "svc", svc: &svc, env: "prod"}, Image{Repository: svc.Image, Digest: testDigest, Version: "v1"})
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}
