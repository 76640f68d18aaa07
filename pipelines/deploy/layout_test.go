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

// TestLayoutsOnUpstreamFiles edits files as upstream projects ship them:
// only the intended lines change (or are added), byte for byte.
func TestLayoutsOnUpstreamFiles(t *testing.T) {
	img := Image{Repository: "registry.example.com/shop/frontend", Digest: testDigest, Version: "v1.0.0"}
	tests := []struct {
		name    string
		service Service
		known   []string
		file    string
		src     string
		want    string
	}{
		{"helm create values: the tag carries the digest", Service{Layout: LayoutHelm, Path: "c"}, nil, "c/values.yaml",
			"image:\n  repository: nginx\n  # Overrides the image tag whose default is the chart appVersion.\n  tag: \"\"\n",
			"image:\n  repository: registry.example.com/shop/frontend\n  # Overrides the image tag whose default is the chart appVersion.\n  tag: \"v1.0.0@" + testDigest + "\"\n"},
		{"helm empty values (tag:, digest:)", Service{Layout: LayoutHelm, Path: "c"}, nil, "c/values.yaml",
			"image:\n  repository:\n  tag:\n  digest: # set by CI\n",
			"image:\n  repository: registry.example.com/shop/frontend\n  tag: v1.0.0\n  digest: " + testDigest + " # set by CI\n"},
		{"helm digest off", Service{Layout: LayoutHelm, Path: "c", Helm: HelmLayout{Digest: Off}}, nil, "c/values.yaml",
			"image:\n  repository: r\n  tag: v0\n  digest: \"\"\n",
			"image:\n  repository: registry.example.com/shop/frontend\n  tag: v1.0.0@" + testDigest + "\n  digest: \"\"\n"},
		{"helm digest asked for is added", Service{Layout: LayoutHelm, Path: "c", Helm: HelmLayout{Digest: "image.digest"}}, nil, "c/values.yaml",
			"image:\n  repository: r\n  tag: v0\n",
			"image:\n  repository: registry.example.com/shop/frontend\n  tag: v1.0.0\n  digest: " + testDigest + "\n"},
		{"kustomization without images", Service{Layout: LayoutKustomize, Path: "k", Kustomize: KustomizeLayout{Name: "gcr.io/google-samples/gb-frontend"}}, nil, "k/kustomization.yaml",
			"resources:\n- deployment.yaml\n",
			"resources:\n- deployment.yaml\nimages:\n- name: gcr.io/google-samples/gb-frontend\n  newName: registry.example.com/shop/frontend\n  digest: " + testDigest + "\n"},
		{"kustomization with other images", Service{Layout: LayoutKustomize, Path: "k"}, nil, "k/kustomization.yaml",
			"images:\n  - name: redis\n    newTag: 7.2 # by hand\nnamespace: shop\n",
			"images:\n  - name: redis\n    newTag: 7.2 # by hand\n  - name: registry.example.com/shop/frontend\n    digest: " + testDigest + "\nnamespace: shop\n"},
		{"kustomization empty newTag", Service{Layout: LayoutKustomize, Path: "k"}, nil, "k/kustomization.yaml",
			"images:\n- name: registry.example.com/shop/frontend\n  newTag:\n",
			"images:\n- name: registry.example.com/shop/frontend\n  newTag: v1.0.0\n  digest: " + testDigest + "\n"},
		{"upstream manifest by container name", Service{Layout: LayoutManifests, Path: "m", Manifests: ManifestsLayout{Container: "php-redis"}}, nil, "m/frontend.yaml",
			"kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: php-redis\n        image: gcr.io/google-samples/gb-frontend:v5\n",
			"kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: php-redis\n        image: registry.example.com/shop/frontend@" + testDigest + "\n"},
		{"manifest running what paved wrote before", Service{Layout: LayoutManifests, Path: "m"}, []string{"old.example.com/frontend"}, "m/frontend.yaml",
			"kind: Pod\nspec:\n  containers:\n  - name: app\n    image: old.example.com/frontend@sha256:" + strings.Repeat("1", 64) + "\n  - name: proxy\n    image: envoyproxy/envoy:v1\n",
			"kind: Pod\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/shop/frontend@" + testDigest + "\n  - name: proxy\n    image: envoyproxy/envoy:v1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := memfs.New()
			require.NoError(t, writeFile(fsys, tt.file, []byte(tt.src)))
			svc := tt.service
			svc.Image = img.Repository
			require.NoError(t, svc.defaults("frontend", 1))
			ch, err := editImage(fsys, target{name: "frontend", svc: &svc, env: "dev", known: tt.known}, img)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(ch[tt.file].New))
		})
	}
}
