package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"
)

// TestBuildTarballTag: --tarball names the image with the --push
// repository and the first --tag, as docker load will show it.
func TestBuildTarballTag(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+reg+"/platform/static:1\nCOPY a /a\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a"), []byte("a\n"), 0o644))
	out := filepath.Join(t.TempDir(), "image.tar")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tag", "v1.2.0", "--tag", "stable"}, "paved.local/image:v1.2.0"},
		{[]string{"--push", reg + "/services/web", "--tag", "v1.2.0"}, reg + "/services/web:v1.2.0"},
		{nil, "paved.local/image:latest"},
	} {
		code, _, stderr := runCLI(t, append([]string{"build", dir, "--tarball", out}, tc.args...)...)
		require.Equal(t, 0, code, stderr)
		tag, err := name.NewTag(tc.want)
		require.NoError(t, err)
		_, err = tarball.ImageFromPath(out, &tag)
		require.NoError(t, err, "the tarball holds %s", tc.want)
	}
}
