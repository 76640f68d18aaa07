package deploy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

func TestParseConfigRefuses(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no environments", "services: {}\n", "no environments"},
		{"duplicate environment", "environments: [{name: dev}, {name: dev}]\n", `environment "dev"`},
		{"bad approval", "environments: [{name: dev, approval: maybe}]\n", `approval "maybe"`},
		{"unknown layout", "environments: [{name: dev}]\nservices:\n  api: {layout: jsonnet, path: x}\n", `layout "jsonnet": use helm, kustomize, manifests`},
		{"path outside", "environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: ../x, image: r.example/api}\n", `path "../x"`},
		{"no image", "environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: x}\n", `service "api": image is missing`},
		{"image with a tag", "environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: x, image: r.example/api:v1}\n", `image "r.example/api:v1": give a repository`},
		{"environments sharing a directory", "environments: [{name: dev}, {name: staging}]\nservices:\n  api: {layout: manifests, path: apps/api, image: r.example/api}\n",
			`service "api": path "apps/api": put {env} in it (or in the layout's file settings): with 2 environments sharing these files`},
		{"environments sharing a listed file", "environments: [{name: dev}, {name: staging}]\nservices:\n  api: {layout: manifests, path: apps/api, image: r.example/api, manifests: {files: [common.yaml, \"app-{env}.yaml\"]}}\n", "put {env} in it"},
		{"environments sharing a values file", "environments: [{name: dev}, {name: staging}]\nservices:\n  api: {layout: helm, path: charts/api, image: r.example/api}\n", "put {env} in it"},
		{"environments sharing a kustomization", "environments: [{name: dev}, {name: staging}]\nservices:\n  api: {layout: kustomize, path: apps/api, image: r.example/api}\n", "put {env} in it"},
		{"helm pinning nothing", "environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: x, image: r.example/api, helm: {tag: '-', digest: ''}}\n", "tag and digest are both off"},
		{"helm file outside", "environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: x, image: r.example/api, helm: {file: ../../v.yaml}}\n", `helm.file "../../v.yaml"`},
		{"bad container name", "environments: [{name: dev}]\nservices:\n  api: {layout: manifests, path: x, image: r.example/api, manifests: {container: My_App}}\n", `manifests.container "My_App"`},
		{"unknown field", "environments: [{name: dev}]\nservice: {}\n", "field service not found"},
		{"scan gate without key", "environments: [{name: prod, gates: {vulnerability_scan: true}}]\n", "need signature_key"},
		{"bad scan age", "environments: [{name: prod, gates: {signature_key: k.pub, max_scan_age: soon}}]\n", `max_scan_age: parsing age "soon"`},
		{"key outside the repository", "environments: [{name: prod, gates: {signature_key: ../k.pub}}]\n", `signature_key "../k.pub"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.src))
			require.ErrorContains(t, err, tt.want)
			require.ErrorContains(t, err, ConfigFile)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

// TestParseConfigLayouts: the files of each environment may differ by the
// path or by the layout's file settings; helm key paths written as "" are
// off, as "-" is.
func TestParseConfigLayouts(t *testing.T) {
	cfg, err := ParseConfig([]byte(`environments: [{name: dev}, {name: prod}]
services:
  api: {layout: helm, path: charts/api, image: r.example/api, helm: {file: "values-{env}.yaml", tag: "", repository: "-"}}
  web: {layout: kustomize, path: apps/web, image: r.example/web, kustomize: {file: "{env}/kustomization.yaml"}}
  job: {layout: manifests, path: jobs, image: r.example/job, manifests: {files: ["job-{env}.yaml"], container: job}}
  one: {layout: helm, path: "charts/{env}", image: r.example/one}
`))
	require.NoError(t, err)
	require.Equal(t, HelmLayout{File: "values-{env}.yaml", Repository: Off, Tag: Off, Digest: "image.digest", digestGiven: true}, cfg.Services["api"].Helm)
	require.Equal(t, HelmLayout{File: "values.yaml", Repository: "image.repository", Tag: "image.tag", Digest: "image.digest"}, cfg.Services["one"].Helm)
	require.Equal(t, "apps/web/prod/kustomization.yaml", target{svc: cfg.Services["web"], env: "prod"}.file(cfg.Services["web"].Kustomize.File))
}

// FuzzParseConfig feeds arbitrary paved-gitops.yaml files to the parser:
// it must refuse them as bad input or accept them whole, never panic, and
// an accepted service is ready to edit (a known layout, an image, its
// files per environment).
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(testConfig))
	f.Add([]byte(routesConfig))
	f.Add([]byte("environments: [{name: dev}]\nservices:\n  a: {layout: helm, path: x, image: r.example/api, helm: {tag: '', digest: '-'}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if failure.KindOf(err) != failure.BadInput {
				t.Fatalf("not bad input: %v", err)
			}
			return
		}
		for name, s := range cfg.Services {
			l, err := layoutOf(s)
			if err != nil || checkImageName(s.Image) != nil {
				t.Fatalf("service %q accepted with layout %q, image %q", name, s.Layout, s.Image)
			}
			if len(cfg.Environments) > 1 && !l.perEnv(s) {
				t.Fatalf("service %q accepted with files shared by environments", name)
			}
		}
	})
}
