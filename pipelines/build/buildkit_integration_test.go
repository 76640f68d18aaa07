//go:build buildkit

// BuildKit tests against a real buildkitd (started through
// hack/buildkit/install.sh, as root). Run with -tags buildkit; they fail,
// not skip, when BuildKit cannot run here.

package build_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/buildkitd/buildkitdtest"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/policy"
	"github.com/paved-dev/paved/pipelines/publish"
)

// bkRegistry starts an in-process registry holding the shell base at
// HOST/platform/shell:1 and returns HOST and the base's digest.
func bkRegistry(t testing.TB) (string, v1.Hash) {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := buildkitdtest.ShellBase()
	require.NoError(t, err)
	return host, pushImage(t, host+"/platform/shell:1", img)
}

func pushImage(t testing.TB, ref string, img v1.Image) v1.Hash {
	t.Helper()
	tag, err := name.NewTag(ref)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
	d, err := img.Digest()
	require.NoError(t, err)
	return d
}

func writeContext(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644))
	}
	return dir
}

// files returns the regular files of img's flattened filesystem.
func files(t testing.TB, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		if hdr.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)
			out[strings.TrimPrefix(hdr.Name, "/")] = string(b)
		}
	}
}

func allowPolicy(t testing.TB, host string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte("apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\"" + host + "/platform/*\"]\n"))
	require.NoError(t, err)
	return p
}

func TestBuildKitBuildsRunAndPublishes(t *testing.T) {
	d := buildkitdtest.Start(t)
	host, baseDigest := bkRegistry(t)
	dir := writeContext(t, map[string]string{
		"Dockerfile": "FROM " + host + "/platform/shell:1 AS build\nARG GREETING\nRUN echo \"$GREETING from RUN\" > /greeting.txt\n" +
			"FROM " + host + "/platform/shell:1\nCOPY --from=build /greeting.txt /greeting.txt\nCOPY app.txt /app/app.txt\nLABEL team=core\nUSER 65532\n",
		"app.txt":       "app\n",
		".dockerignore": "secret.txt\n",
		"secret.txt":    "not in the image\n",
	})
	var logs bytes.Buffer
	created := time.Unix(1700000000, 0)
	res, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address, Log: &logs},
		build.WithBuildArgs(map[string]string{"GREETING": "hello"}), build.WithLabels(map[string]string{"dev.paved.test": "yes"}),
		build.WithPolicy(allowPolicy(t, host)), build.WithCreated(created),
		build.WithAnnotations(map[string]string{oci.AnnotationRevision: "abc123"})).Build(context.Background())
	require.NoError(t, err, logs.String())

	pub, err := publish.Registry(host+"/services/svc", []string{"1.0.0"}, nil, nil)
	require.NoError(t, err)
	out, err := publish.All(context.Background(), publish.Artifact{Image: res.Image}, pub)
	require.NoError(t, err)
	ref, err := name.NewDigest(out.Reference)
	require.NoError(t, err)
	pulled, err := remote.Image(ref)
	require.NoError(t, err)
	require.NoError(t, validate.Image(pulled))

	fs := files(t, pulled)
	require.Equal(t, "hello from RUN\n", fs["greeting.txt"])
	require.Equal(t, "app\n", fs["app/app.txt"])
	require.NotContains(t, fs, "secret.txt")
	cf, err := pulled.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "core", cf.Config.Labels["team"])
	require.Equal(t, "yes", cf.Config.Labels["dev.paved.test"])
	require.Equal(t, "65532", cf.Config.User)
	require.Equal(t, created.UTC(), cf.Created.UTC())
	m, err := pulled.Manifest()
	require.NoError(t, err)
	require.Equal(t, types.OCIManifestSchema1, m.MediaType)
	require.Equal(t, host+"/platform/shell:1", m.Annotations[oci.AnnotationBaseName])
	require.Equal(t, baseDigest.String(), m.Annotations[oci.AnnotationBaseDigest])
	require.Equal(t, "abc123", m.Annotations[oci.AnnotationRevision])
	require.Len(t, res.Bases, 1)
	require.Equal(t, baseDigest.String(), res.Bases[0].Digest.DigestStr())
	require.Equal(t, d.Version, res.Builder[build.BuilderBuildKitVersion])
	require.Equal(t, build.Frontend, res.Builder[build.BuilderFrontend])
	// The first layer is the checked base's own.
	baseRef, err := name.NewDigest(host + "/platform/shell@" + baseDigest.String())
	require.NoError(t, err)
	baseLayers, err := remote.Image(baseRef)
	require.NoError(t, err)
	bl, err := baseLayers.Layers()
	require.NoError(t, err)
	wantFirst, err := bl[0].DiffID()
	require.NoError(t, err)
	require.Equal(t, wantFirst, cf.RootFS.DiffIDs[0])

	t.Run("same inputs give the same digest", func(t *testing.T) {
		again, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address},
			build.WithBuildArgs(map[string]string{"GREETING": "hello"}), build.WithLabels(map[string]string{"dev.paved.test": "yes"}),
			build.WithPolicy(allowPolicy(t, host)), build.WithCreated(created),
			build.WithAnnotations(map[string]string{oci.AnnotationRevision: "abc123"})).Build(context.Background())
		require.NoError(t, err)
		d2, err := again.Digest()
		require.NoError(t, err)
		require.Equal(t, out.Digest, d2.String())
	})
}

func TestBuildKitBuildsTheCheckedDigestWhenTheTagMoves(t *testing.T) {
	d := buildkitdtest.Start(t)
	host, checked := bkRegistry(t)
	moved, err := buildkitdtest.ShellBase()
	require.NoError(t, err)
	extra, err := random.Layer(256, types.OCILayer)
	require.NoError(t, err)
	moved, err = mutate.Append(moved, mutate.Addendum{Layer: extra})
	require.NoError(t, err)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/shell:1\nRUN echo built > /built.txt\n"})

	// The policy check reads the clock right after resolving the tag: move
	// the tag then, so the build runs after the tag changed.
	var once sync.Once
	var movedDigest v1.Hash
	clock := func() time.Time {
		once.Do(func() { movedDigest = pushImage(t, host+"/platform/shell:1", moved) })
		return time.Now()
	}
	res, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address},
		build.WithPolicy(allowPolicy(t, host)), build.WithClock(clock)).Build(context.Background())
	require.NoError(t, err)

	tag, err := name.NewTag(host + "/platform/shell:1")
	require.NoError(t, err)
	now, err := remote.Head(tag)
	require.NoError(t, err)
	require.Equal(t, movedDigest, now.Digest, "the tag did move")
	require.NotEqual(t, checked, movedDigest)
	m, err := res.Image.Manifest()
	require.NoError(t, err)
	require.Equal(t, checked.String(), m.Annotations[oci.AnnotationBaseDigest])
	require.Equal(t, checked.String(), res.Bases[0].Digest.DigestStr())
	cf, err := res.Image.ConfigFile()
	require.NoError(t, err)
	require.Len(t, cf.RootFS.DiffIDs, 2, "the checked base's one layer plus the RUN layer, not the moved base's two")
}

func TestBuildKitSecretLeaksNowhere(t *testing.T) {
	host, _ := bkRegistry(t)
	const secret = "s3cr3t-Zq81-token-value"
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/shell:1\n" +
		"RUN --mount=type=secret,id=token read v < /run/secrets/token; echo \"token is $v\"; test ${#v} = " + strconv.Itoa(len(secret)) + " && test \"${v%%-*}\" = s3cr3t && echo ok > /checked.txt\n" +
		"RUN --mount=type=secret,id=token,env=TOKEN echo \"env has $TOKEN\"; test ${#TOKEN} -ge " + strconv.Itoa(len(secret)) + " && echo ok > /checked-env.txt\n"})
	srcFile := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(srcFile, []byte(secret+"\n"), 0o600))

	for _, s := range []build.Secret{{ID: "token", Value: []byte(secret)}, {ID: "token", File: srcFile}} {
		// A fresh daemon each time: a cached RUN step would print nothing.
		d := buildkitdtest.Start(t)
		var logs bytes.Buffer
		res, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address, Log: &logs, Secrets: []build.Secret{s}}).Build(context.Background())
		require.NoError(t, err, logs.String())
		fs := files(t, res.Image)
		require.Equal(t, "ok\n", fs["checked.txt"], "the RUN step saw the secret")
		require.Equal(t, "ok\n", fs["checked-env.txt"], "the RUN step saw the secret as $TOKEN")
		require.Contains(t, logs.String(), "token is ****")
		require.Contains(t, logs.String(), "env has ****")

		// Every byte that leaves the build: layers, config (history), manifest, log.
		layers, err := res.Image.Layers()
		require.NoError(t, err)
		for _, l := range layers {
			rc, err := l.Uncompressed()
			require.NoError(t, err)
			b, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NotContains(t, string(b), secret)
		}
		raw, err := res.Image.RawConfigFile()
		require.NoError(t, err)
		require.NotContains(t, string(raw), secret)
		var cfg struct{ History []v1.History }
		require.NoError(t, json.Unmarshal(raw, &cfg))
		require.NotEmpty(t, cfg.History)
		man, err := res.Image.RawManifest()
		require.NoError(t, err)
		require.NotContains(t, string(man), secret)
		require.NotContains(t, logs.String(), secret)
		require.NotContains(t, res.Builder, secret)
	}
}

func TestBuildKitBadInput(t *testing.T) {
	d := buildkitdtest.Start(t)
	host, _ := bkRegistry(t)
	from := "FROM " + host + "/platform/shell:1\n"
	tests := []struct {
		name, dockerfile string
		secrets          []build.Secret
		contains         []string
	}{
		{name: "failing RUN names the line and its output",
			dockerfile: from + "RUN echo fine\nRUN echo compiling; echo 'error: widget.go:3: undefined: Widget' >&2; exit 3\n",
			contains:   []string{"Dockerfile:3:", "exit code 3", "error: widget.go:3: undefined: Widget"}},
		{name: "failing RUN masks a secret in its output",
			dockerfile: from + "RUN --mount=type=secret,id=tok read v < /run/secrets/tok; echo \"bad token $v\"; exit 1\n",
			secrets:    []build.Secret{{ID: "tok", Value: []byte("hunter2hunter2")}},
			contains:   []string{"Dockerfile:2:", "bad token ****"}},
		{name: "COPY of a missing file",
			dockerfile: from + "COPY missing.txt /\n",
			contains:   []string{"Dockerfile:2:", "missing.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeContext(t, map[string]string{"Dockerfile": tt.dockerfile})
			_, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address, Secrets: tt.secrets}).Build(context.Background())
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
			for _, c := range tt.contains {
				require.Contains(t, err.Error(), c)
			}
			for _, s := range tt.secrets {
				require.NotContains(t, err.Error(), string(s.Value))
			}
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestBuildKitCacheReusesLayersOnAFreshDaemon(t *testing.T) {
	host, _ := bkRegistry(t)
	// The RUN step's output differs on every execution: equal digests mean
	// the layer came from the cache.
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + host + "/platform/shell:1\nRUN read id < /proc/sys/kernel/random/uuid; echo $id > /id\n"})
	localCache := t.TempDir()
	tests := []struct {
		name      string
		from, to  string
		wantEqual bool
	}{
		{name: "registry", to: "type=registry,ref=" + host + "/cache/svc:buildcache,mode=max", from: "type=registry,ref=" + host + "/cache/svc:buildcache", wantEqual: true},
		{name: "local directory", to: "type=local,dest=" + localCache + ",mode=max", from: "type=local,src=" + localCache, wantEqual: true},
		{name: "no cache", wantEqual: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var to, from []build.Cache
			if tt.to != "" {
				c, err := build.ParseCache(tt.to)
				require.NoError(t, err)
				to = []build.Cache{c}
				c, err = build.ParseCache(tt.from)
				require.NoError(t, err)
				from = []build.Cache{c}
			}
			first, err := build.BuildKit(dir, build.BuildKitConfig{Host: buildkitdtest.Start(t).Address, CacheTo: to}).Build(context.Background())
			require.NoError(t, err)
			second, err := build.BuildKit(dir, build.BuildKitConfig{Host: buildkitdtest.Start(t).Address, CacheFrom: from}).Build(context.Background())
			require.NoError(t, err)
			d1, err := first.Digest()
			require.NoError(t, err)
			d2, err := second.Digest()
			require.NoError(t, err)
			require.Equal(t, tt.wantEqual, d1 == d2, "digests %s and %s", d1, d2)
		})
	}
}

func TestBuildKitMultiPlatformIndex(t *testing.T) {
	d := buildkitdtest.Start(t)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM scratch\nARG TARGETARCH\nCOPY app-${TARGETARCH}.txt /app.txt\n",
		"app-amd64.txt": "amd64\n", "app-arm64.txt": "arm64\n"})
	ps := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	res, err := build.BuildKit(dir, build.BuildKitConfig{Host: d.Address}, build.WithPlatforms(ps...)).Build(context.Background())
	require.NoError(t, err)
	require.NotNil(t, res.Index)
	require.NoError(t, validate.Index(res.Index))
	im, err := res.Index.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 2)
	for i, m := range im.Manifests {
		require.Equal(t, ps[i].Architecture, m.Platform.Architecture)
		img, err := res.Index.Image(m.Digest)
		require.NoError(t, err)
		require.Equal(t, ps[i].Architecture+"\n", files(t, img)["app.txt"])
	}
}
