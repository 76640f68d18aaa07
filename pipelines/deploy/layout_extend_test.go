package deploy

import (
	"context"
	"fmt"
	"testing"

	"github.com/go-git/go-billy/v5"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// imageFileLayout is a fourth layout, written here to show what a new one
// takes: this type and one registerLayout line, nothing else in the
// package. It keeps the image in one YAML file of the service's directory,
// image.yaml, as "image: REPOSITORY@DIGEST" (some in-house charts read it so).
type imageFileLayout struct{}

// defaults: the layout has no settings of its own (Service checks path).
func (imageFileLayout) defaults(string, *Service) error { return nil }

func (imageFileLayout) perEnv(s *Service) bool { return hasEnv(s.Path) }

func (imageFileLayout) edit(fsys billy.Filesystem, ch changes, t target, img Image) error {
	f, err := parseFile(fsys, t.file("image.yaml"))
	if err != nil {
		return err
	}
	old, _ := f.Bytes()
	doc, err := oneDocument(f, "image file")
	if err != nil {
		return err
	}
	n := yamlpatch.Lookup(doc, "image")
	if n == nil || n.Kind != yaml.ScalarNode {
		return failure.BadInputErr(fmt.Errorf("editing %s: it has no image: key: add one", f.Name()))
	}
	if err := f.Set(n, img.Ref()); err != nil {
		return err
	}
	return ch.record(f, old)
}

// TestFourthLayout registers imageFileLayout (the one line a layout file
// has in its init) and runs real bumps through it against a git remote.
func TestFourthLayout(t *testing.T) {
	registerLayout("image-file", imageFileLayout{})
	t.Cleanup(func() { delete(layouts, "image-file") })

	ctx := context.Background()
	const imageFile = "# the image the chart runs\nimage: ghcr.io/acme/api@sha256:0000000000000000000000000000000000000000000000000000000000000000 # paved\nreplicas: 2\n"
	url := newBareRemote(t, map[string]string{
		ConfigFile:                 "environments: [{name: dev}, {name: prod}]\nservices:\n  api: {layout: image-file, path: \"apps/{env}/api\", image: ghcr.io/acme/api}\n",
		"apps/dev/api/image.yaml":  imageFile,
		"apps/prod/api/image.yaml": imageFile,
	})
	opts := testOpts(t, WithClock(testClock), WithAuthor("Paved Bot", "bot@example.com"))

	res, err := Bump(ctx, url, bumpReq("api", "dev", "ghcr.io/acme/api@"+digestA, "v1.5.0"), opts...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, []string{"apps/dev/api/image.yaml", VersionsFile}, res.Files)
	files, _ := remoteState(t, url)
	require.Equal(t, "# the image the chart runs\nimage: ghcr.io/acme/api@"+digestA+" # paved\nreplicas: 2\n", files["apps/dev/api/image.yaml"],
		"only the image scalar changes, byte for byte")
	require.Equal(t, imageFile, files["apps/prod/api/image.yaml"], "a dev bump leaves prod alone")

	res, err = Bump(ctx, url, bumpReq("api", "dev", "ghcr.io/acme/api@"+digestA, "v1.5.0"), opts...)
	require.NoError(t, err)
	require.False(t, res.Changed, "the same bump again changes nothing")

	// The rules that hold for every layout hold for this one too.
	_, err = ParseConfig([]byte("environments: [{name: dev}, {name: prod}]\nservices:\n  api: {layout: image-file, path: apps/api, image: ghcr.io/acme/api}\n"))
	require.ErrorContains(t, err, `path "apps/api": put {env} in it`)
	_, err = ParseConfig([]byte("environments: [{name: dev}]\nservices:\n  api: {layout: image-file, path: apps/api, image: ghcr.io/acme/api, blue_green: true}\n"))
	require.ErrorContains(t, err, "blue_green needs layout: manifests (")
	_, err = ParseConfig([]byte("environments: [{name: dev}]\nservices:\n  api: {layout: jsonnet, path: x}\n"))
	require.ErrorContains(t, err, `layout "jsonnet": use helm, image-file, kustomize, manifests`)
}
