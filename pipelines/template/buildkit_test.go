//go:build buildkit

package template_test

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/buildkitd/buildkitdtest"
	"github.com/paved-dev/paved/pipelines/publish"
	"github.com/paved-dev/paved/pipelines/record"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/pipelines/template"
	"github.com/paved-dev/paved/pipelines/template/service"
)

// A Dockerfile with RUN goes through the whole pipeline when a BuildKit
// endpoint is given: built by buildkitd, pushed by digest, SBOM'd, scanned,
// gated, signed, attested with a provenance that names BuildKit, verified.
func TestBuildScanDeployThroughBuildKit(t *testing.T) {
	e := newTestEnv(t)
	d := buildkitdtest.Start(t)
	shell, err := buildkitdtest.ShellBase()
	require.NoError(t, err)
	pub, err := publish.Registry(e.host+"/platform/shell", []string{"1"}, nil, nil)
	require.NoError(t, err)
	_, err = publish.All(context.Background(), publish.Artifact{Image: shell}, pub)
	require.NoError(t, err)

	dir := filepath.Join(e.repo, "examples", "reference-apps", "run-app")
	writeFile(t, filepath.Join(dir, "Dockerfile"), "ARG BASE\nFROM ${BASE}\nRUN echo built-by-buildkit > /hello.txt\nCMD [\"/bin/sh\"]\n")
	writeFile(t, filepath.Join(dir, service.ConfigFile), `apiVersion: paved.dev/v1
kind: Service
name: run-app
build:
  kind: dockerfile
  buildArgs:
    BASE: 127.0.0.1:5000/platform/shell:1
image:
  repository: 127.0.0.1:5000/services/run-app
policy: ../../policy.yaml
signing:
  key: ../../keys/cosign.key
`)
	commitAll(t, e.repo, "https://git.example.com/acme/shop.git")
	cfg, err := service.Load(filepath.Join(dir, service.ConfigFile))
	require.NoError(t, err)

	ctx := context.Background()
	rec, err := template.BuildScanDeploy(ctx, cfg, e.options(template.WithSkipDeploy(true),
		template.WithBuildKit(&build.BuildKitConfig{Host: d.Address}))...)
	require.NoError(t, err)
	require.Equal(t, record.StatusOK, rec.Status)
	require.True(t, strings.HasPrefix(rec.Image, e.host+"/services/run-app@sha256:"), rec.Image)

	ref, err := name.NewDigest(rec.Image)
	require.NoError(t, err)
	img, err := remote.Image(ref)
	require.NoError(t, err)
	require.Equal(t, "built-by-buildkit\n", string(layerFiles(t, img)["hello.txt"]), "the RUN step's output is in the pushed image")

	v, err := sign.Verify(ctx, ref, sign.VerifyOptions{Key: e.keys.PublicKey, Require: []string{sign.KindSBOM, sign.KindVuln, sign.KindProvenance}})
	require.NoError(t, err)
	require.True(t, v.Scan.Passed)
	require.Contains(t, provenance(t, ref), `"frontend"`, "the provenance records BuildKit's frontend")
}

// layerFiles flattens img and returns its regular files by path.
func layerFiles(t *testing.T, img v1.Image) map[string][]byte {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		require.NoError(t, err)
		if hdr.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			require.NoError(t, err)
			files[strings.TrimPrefix(hdr.Name, "/")] = data
		}
	}
}

// provenance returns the SLSA provenance statement attached to ref.
func provenance(t *testing.T, ref name.Digest) string {
	t.Helper()
	att := ref.Context().Tag(strings.Replace(ref.DigestStr(), ":", "-", 1) + ".att")
	img, err := remote.Image(att)
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	for _, l := range layers {
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		var env struct{ Payload string }
		require.NoError(t, json.NewDecoder(rc).Decode(&env))
		rc.Close()
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(t, err)
		if strings.Contains(string(payload), sign.PredicateProvenance) {
			return string(payload)
		}
	}
	t.Fatalf("no provenance attestation on %s", ref)
	return ""
}
