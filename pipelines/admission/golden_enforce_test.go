//go:build admission

package admission_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// goldenWorkloads need no registry: a tag and a foreign repository are
// refused before any image is fetched. Only the labelled Pod is in the
// label-scoped environments.
const goldenWorkloads = `apiVersion: v1
kind: Pod
metadata: {name: tag, namespace: NS, labels: {paved.dev/environment: ENV}}
spec:
  containers: [{name: app, image: "registry.example.com/services/go-api:1.0"}]
---
apiVersion: v1
kind: Pod
metadata: {name: foreign, namespace: NS, labels: {paved.dev/environment: ENV}}
spec:
  containers: [{name: app, image: "quay.io/someone/app@sha256:` + "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" + `"}]
---
apiVersion: v1
kind: Pod
metadata: {name: unlabelled, namespace: elsewhere}
spec:
  containers: [{name: app, image: "quay.io/someone/app:1"}]
`

// Every golden export, in every scope it shows (namespaces, labels, the
// whole cluster), loads into the real enforcer and matches only its
// workloads: Kyverno silently drops a policy its schema refuses ("Applying
// 0 policy rule(s)"), and the tester refuses an invalid ClusterImagePolicy
// before it looks at an image.
func TestGoldenExportsLoadIntoTheEnforcers(t *testing.T) {
	kyverno, tester := tool(t, "kyverno"), tool(t, "policy-tester")
	namespaces := map[string]string{"kyverno/prod.yaml": "shop", "kyverno-clusterpolicy/prod.yaml": "prod", "kyverno/dev.yaml": "dev", "kyverno-clusterpolicy/dev.yaml": "anywhere"}
	for _, format := range []string{"kyverno", "kyverno-clusterpolicy"} {
		for _, env := range []string{"dev", "staging", "prod"} {
			golden := format + "/" + env + ".yaml"
			t.Run(golden, func(t *testing.T) {
				ns := namespaces[golden]
				if ns == "" {
					ns = "anywhere"
				}
				res := filepath.Join(t.TempDir(), "pods.yaml")
				writeFile(t, res, strings.NewReplacer("NS", ns, "ENV", env).Replace(goldenWorkloads))
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				// A dropped policy has no results: the refusals below fail.
				out, _ := execCommand(ctx, kyverno, "apply", filepath.Join("testdata", "golden", golden), "--resource", res, "-p", "--remove-color")
				var report struct{ Results []kyvernoResult }
				require.NoError(t, yamlUnmarshal(reportYAML(out), &report), out)
				fails := map[string]string{}
				outside := 0
				for _, r := range report.Results {
					require.NotEqual(t, "error", r.Result, r.Message)
					if r.Resources[0].Name == "unlabelled" {
						if r.Result != "skip" { // a precondition that does not hold skips
							outside++
						}
						continue
					}
					if r.Result == "fail" {
						fails[firstRule([]kyvernoResult{r}).rule] = r.Message
					}
				}
				if golden == "kyverno-clusterpolicy/dev.yaml" {
					require.Positive(t, outside, "the whole cluster")
				} else {
					require.Zero(t, outside, "a workload outside the environment's namespaces or labels")
				}
				require.Contains(t, fails, "paved-digest", "the tag is refused")
				require.Contains(t, fails, "paved-repository", "the foreign image is refused")
			})
		}
	}
	for _, env := range []string{"dev", "staging", "prod"} {
		t.Run("policy-controller/"+env+".yaml", func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "golden", "policy-controller", env+".yaml"))
			require.NoError(t, err)
			file := filepath.Join(t.TempDir(), "cip.yaml")
			writeFile(t, file, string(data))
			msg := testerErrors(t, tester, file, "quay.io/someone/app@sha256:"+strings.Repeat("c", 64))
			require.Contains(t, msg, "is uncovered by policy", "the policies were valid, and cover only the services")
		})
	}
}
