package deploy

import (
	"context"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestKustomizeBuildAfterBump runs kustomize build, in process, on the
// bumped Kustomize layout and checks the rendered image.
func TestKustomizeBuildAfterBump(t *testing.T) {
	url := newBareRemote(t, gitopsFiles(t))
	_, err := Bump(context.Background(), url, bumpReq("checkout", "staging", "registry.acme.internal/mirror/checkout@"+digestA, "v1.0.0"), testOpts(t)...)
	require.NoError(t, err)
	files, _ := remoteState(t, url)

	fs := filesys.MakeFsInMemory()
	for name, data := range files {
		require.NoError(t, fs.MkdirAll(path.Dir("/"+name)))
		require.NoError(t, fs.WriteFile("/"+name, []byte(data)))
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/apps/checkout/staging")
	require.NoError(t, err)
	out, err := resources.AsYaml()
	require.NoError(t, err)
	rendered := string(out)
	require.Contains(t, rendered, "image: registry.acme.internal/mirror/checkout:v1.0.0@"+digestA+"\n")
	require.Contains(t, rendered, "image: ghcr.io/acme/cart:2.3.0@sha256:1111")
	require.Contains(t, rendered, "image: redis:7.2-alpine\n")
	require.Equal(t, 1, strings.Count(rendered, "kind: Deployment"))
}
