package admission_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paved-dev/paved/pipelines/admission"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/policy"
)

// The admission policies of a GitOps repository checkout, for Kyverno's
// ClusterPolicy: one file per environment, to commit next to the manifests.
func ExampleRender() {
	repo := filepath.Join("testdata", "gitops")
	data, err := os.ReadFile(filepath.Join(repo, deploy.ConfigFile))
	if err != nil {
		panic(err)
	}
	cfg, err := deploy.ParseConfig(data)
	if err != nil {
		panic(err)
	}
	p, err := policy.Load(context.Background(), filepath.Join("testdata", "policy.yaml"), nil)
	if err != nil {
		panic(err)
	}
	keys := func(path string) ([]byte, error) { return os.ReadFile(filepath.Join(repo, path)) }
	rules, err := admission.Derive(cfg, p, keys, admission.WithEnvironments("staging", "prod"))
	if err != nil {
		panic(err)
	}
	files, err := admission.Render(rules, "kyverno-clusterpolicy")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		fmt.Println(f.Path)
	}
	// Output:
	// prod.yaml
	// staging.yaml
}
