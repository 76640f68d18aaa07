package admission_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/admission"
	"github.com/paved-dev/paved/pipelines/failure"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// The export of testdata's GitOps repository and policy, in every format,
// is the golden files byte for byte (go test -update rewrites them).
func TestRenderGolden(t *testing.T) {
	cfg, p, keys := fixture(t)
	scopes := map[string][]admission.Option{
		"kyverno": {admission.WithScope("prod", admission.Scope{Namespaces: []string{"shop", "payments"}}),
			admission.WithScope("staging", admission.Scope{Labels: map[string]string{"paved.dev/environment": "staging"}})},
		"kyverno-clusterpolicy": {admission.WithScope("staging", admission.Scope{Labels: map[string]string{"paved.dev/environment": "staging"}}),
			admission.WithScope("dev", admission.Scope{Cluster: true})},
		"policy-controller": {admission.WithScope("prod", admission.Scope{Labels: map[string]string{"paved.dev/environment": "prod"}})},
	}
	require.ElementsMatch(t, admission.Formats(), []string{"kyverno", "kyverno-clusterpolicy", "policy-controller"})
	for _, format := range admission.Formats() {
		t.Run(format, func(t *testing.T) {
			r, err := admission.Derive(cfg, p, keys, scopes[format]...)
			require.NoError(t, err)
			files, err := admission.Render(r, format)
			require.NoError(t, err)
			dir := filepath.Join("testdata", "golden", format)
			if *update {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.MkdirAll(dir, 0o755))
				for _, f := range files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, f.Path), f.Data, 0o644))
				}
			}
			for _, f := range files {
				want, err := os.ReadFile(filepath.Join(dir, f.Path))
				require.NoError(t, err, "go test ./pipelines/admission -run Golden -update")
				require.Equal(t, string(want), string(f.Data), f.Path)
				requireYAML(t, f.Data)
			}
			rep, err := admission.Check(dir, files, true)
			require.NoError(t, err, "no other file in the golden directory")
			require.Len(t, rep.Files, len(files))

			again, err := admission.Render(r, format)
			require.NoError(t, err)
			require.Equal(t, files, again, "the same rules give the same bytes")
		})
	}
}

// requireYAML decodes every document of data.
func requireYAML(t *testing.T, data []byte) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			require.ErrorContains(t, err, "EOF")
			break
		}
		require.NotEmpty(t, doc["apiVersion"])
		n++
	}
	require.Positive(t, n)
}

func TestPolicyControllerCannotScopeNamespaces(t *testing.T) {
	cfg, p, keys := fixture(t)
	r, err := admission.Derive(cfg, p, keys, admission.WithScope("prod", admission.Scope{Namespaces: []string{"shop"}}))
	require.NoError(t, err)
	_, err = admission.Render(r, "policy-controller")
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), `environment "prod" is scoped to namespaces shop, and policy-controller applies every ClusterImagePolicy in every namespace labelled policy.sigstore.dev/include=true`)

	_, err = admission.Render(r, "gatekeeper")
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), `unknown admission policy format "gatekeeper": use kyverno, kyverno-clusterpolicy, policy-controller`)
}
