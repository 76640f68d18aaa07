package deploy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// manyServices returns a GitOps repository with n manifests services.
func manyServices(n int) map[string]string {
	var cfg strings.Builder
	cfg.WriteString("environments:\n  - name: dev\n  - name: prod\nservices:\n")
	files := map[string]string{}
	for i := range n {
		svc := fmt.Sprintf("svc%03d", i)
		fmt.Fprintf(&cfg, "  %s:\n    layout: manifests\n    path: services/%s/{env}\n    image: ghcr.io/acme/%s\n", svc, svc, svc)
		for _, env := range []string{"dev", "prod"} {
			files["services/"+svc+"/"+env+"/deployment.yaml"] = fmt.Sprintf(deploymentTemplate, svc, svc, svc, svc, svc)
		}
	}
	files[ConfigFile] = cfg.String()
	return files
}

const deploymentTemplate = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels: {app: %s}
    spec:
      containers:
        - name: %s
          image: ghcr.io/acme/%s:v0.0.1 # replaced by paved
`

// TestConcurrentBumps pushes twenty bumps of twenty services at once into one
// repository over smart HTTP: every bump lands, each in its own commit, and
// versions.yaml records all twenty.
func TestConcurrentBumps(t *testing.T) {
	for _, remote := range []string{"bare", "smart-http"} {
		t.Run(remote, func(t *testing.T) {
			const n = 20
			url := newBareRemote(t, manyServices(n))
			if remote == "smart-http" {
				url = httpRemote(t, url, "tok")
			}
			var wg sync.WaitGroup
			results := make([]*Result, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					svc := fmt.Sprintf("svc%03d", i)
					results[i], errs[i] = Bump(context.Background(), url, bumpReq(svc, "dev", "ghcr.io/acme/"+svc+"@"+digestA, ""),
						testOpts(t, WithRetry(30, 20*time.Millisecond), WithAuth(basicAuth("tok")))...)
				}()
			}
			wg.Wait()
			retried := 0
			for i := range n {
				require.NoError(t, errs[i])
				require.True(t, results[i].Changed)
				if results[i].Attempts > 1 {
					retried++
				}
			}
			t.Logf("%d of %d bumps retried after a rejected push", retried, n)

			files, log := remoteState(t, strings.Replace(url, "http://", "http://x:tok@", 1))
			require.Len(t, log, n+1)
			var v Versions
			require.NoError(t, yaml.Unmarshal([]byte(files[VersionsFile]), &v))
			require.Len(t, v.Services, n)
			for i := range n {
				svc := fmt.Sprintf("svc%03d", i)
				require.Equal(t, digestA, v.Get(svc, "dev").Digest)
				require.Contains(t, files["services/"+svc+"/dev/deployment.yaml"], "image: ghcr.io/acme/"+svc+"@"+digestA+" # replaced by paved\n")
				require.Contains(t, files["services/"+svc+"/prod/deployment.yaml"], "image: ghcr.io/acme/"+svc+":v0.0.1 # replaced by paved\n")
			}
			for _, c := range log[:n] {
				require.Len(t, changedFiles(t, c), 2, "each commit changes one service's manifest and versions.yaml")
			}
		})
	}
}
