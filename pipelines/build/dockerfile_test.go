package build_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/oci"
	"github.com/paved-dev/paved/pipelines/policy"
)

var (
	dfEpoch = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	dfAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	dfARM64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// dfRegistry starts an in-process registry holding a two-platform base
// image built from testdata/dockerfile/base at <host>/platform/base:1, and
// returns the host.
func dfRegistry(t testing.TB) string {
	t.Helper()
	reg := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []v1.Platform{dfAMD64, dfARM64} {
		img := dfBase(t, p)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref, err := name.NewTag(host + "/platform/base:1")
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))
	return host
}

// dfBase is a small Linux-like base for p: users and groups, /tmp with
// its sticky bit, /bin as a symlink to usr/bin (merged /usr), PATH unset.
func dfBase(t testing.TB, p v1.Platform) v1.Image {
	t.Helper()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", "dockerfile", "base", name))
		require.NoError(t, err)
		return data
	}
	layer, err := build.Layer([]build.File{
		{Path: "/etc/passwd", Mode: 0o644, Data: read("passwd")},
		{Path: "/etc/group", Mode: 0o644, Data: read("group")},
		{Path: "/etc/os-release", Mode: 0o644, Data: read("os-release")},
		{Path: "/etc/arch", Mode: 0o644, Data: []byte(p.Architecture + "\n")},
		{Path: "/tmp", Dir: true, Mode: 0o777 | fs.ModeSticky},
		{Path: "/usr/bin", Dir: true, Mode: 0o755},
		{Path: "/bin", Link: "usr/bin", Mode: 0o777},
		{Path: "/home/app", Dir: true, Mode: 0o750, UID: 1000, GID: 1000},
	}, dfEpoch)
	require.NoError(t, err)
	img, err := mutate.Append(build.Empty(), mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "test base"}})
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	cf.Config.Env = []string{"LANG=C.UTF-8"}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

// dfContext copies testdata/dockerfile/<name> to a temporary directory,
// so tests can add files (archives, symlinks) without touching testdata.
func dfContext(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "dockerfile", name)
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// dfWrite writes files (path → content) under dir.
func dfWrite(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
}

// dfEntry is one flattened file of an image.
type dfEntry struct {
	hdr  *tar.Header
	data string
}

// dfTree flattens img the way a container sees it (mutate.Extract).
func dfTree(t testing.TB, img v1.Image) map[string]dfEntry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]dfEntry{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		out["/"+strings.Trim(hdr.Name, "/")] = dfEntry{hdr: hdr, data: string(data)}
	}
}

// dfPushImage pushes img to the registry and pulls it back, so tests
// inspect what a registry serves.
func dfPushImage(t testing.TB, host string, img v1.Image) v1.Image {
	t.Helper()
	ref, err := name.NewTag(host + "/svc/app:test")
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, img))
	pulled, err := remote.Image(ref)
	require.NoError(t, err)
	d1, err := img.Digest()
	require.NoError(t, err)
	d2, err := pulled.Digest()
	require.NoError(t, err)
	require.Equal(t, d1, d2)
	return pulled
}

func dfBuild(t testing.TB, dir string, opts ...build.Option) (*build.Result, error) {
	t.Helper()
	opts = append([]build.Option{build.WithCreated(dfEpoch)}, opts...)
	return build.Dockerfile(dir, opts...).Build(context.Background())
}

func dfArgs(host string, more ...string) build.Option {
	args := map[string]string{"REGISTRY": host}
	for i := 0; i+1 < len(more); i += 2 {
		args[more[i]] = more[i+1]
	}
	return build.WithBuildArgs(args)
}

// writeTarGz writes a gzip-compressed tar of files (path → content).
func writeTarGz(t testing.TB, file string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, p := range []string{"pkg/", "pkg/README", "pkg/lib/util.sh"} {
		hdr := &tar.Header{Name: p, Mode: 0o755, ModTime: dfEpoch, Typeflag: tar.TypeDir, Uid: 7, Gid: 7}
		if !strings.HasSuffix(p, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o640, int64(len(files[p]))
		}
		require.NoError(t, tw.WriteHeader(hdr))
		_, err := tw.Write([]byte(files[p]))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
}

func TestDockerfileMultiStage(t *testing.T) {
	host := dfRegistry(t)
	res, err := dfBuild(t, dfContext(t, "app"), dfArgs(host, "VERSION", "1.4.0"),
		build.WithAnnotations(map[string]string{oci.AnnotationRevision: "abc123"}))
	require.NoError(t, err)
	require.NotNil(t, res.Image)
	pushed := dfPushImage(t, host, res.Image)
	require.NoError(t, validate.Image(pushed))

	tree := dfTree(t, pushed)
	type want struct {
		data     string
		mode     int64
		uid, gid int
		link     string
	}
	for p, w := range map[string]want{
		"/srv/static/index.html":   {data: "<!doctype html><title>hello</title><p>hello from paved</p>\n", mode: 0o644},
		"/srv/static/css/site.css": {data: "body { font-family: sans-serif; }\n", mode: 0o644},
		"/srv/app.yaml":            {data: "listen: \":8080\"\nlog: info\n", mode: 0o644},
		"/srv/data/greetings.json": {data: "{\"greetings\": [\"hello\", \"hallo\", \"bonjour\"]}\n", mode: 0o644, uid: 1000, gid: 50},
		"/srv/motd":                {data: "welcome to /srv\n", mode: 0o644},
		"/usr/bin/hello":           {data: "#!/bin/sh\necho \"hello $1\"\n", mode: 0o755},
		"/tmp/app.yaml":            {data: "listen: \":8080\"\nlog: info\n", mode: 0o644},
		"/bin":                     {link: "usr/bin", mode: 0o777},
		"/tmp":                     {mode: 0o1777},
		"/srv/data":                {mode: 0o755, uid: 1000, gid: 50},
		"/etc/os-release":          {data: "PRETTY_NAME=\"paved test base\"\nID=paved-test\n", mode: 0o644},
	} {
		e, ok := tree[p]
		require.True(t, ok, "missing %s", p)
		require.Equal(t, w.data, e.data, p)
		require.Equal(t, w.mode, e.hdr.Mode, "mode of %s", p)
		require.Equal(t, w.uid, e.hdr.Uid, "uid of %s", p)
		require.Equal(t, w.gid, e.hdr.Gid, "gid of %s", p)
		require.Equal(t, w.link, e.hdr.Linkname, p)
		require.Equal(t, dfEpoch.Unix(), e.hdr.ModTime.Unix(), "mtime of %s", p)
	}
	for _, p := range []string{"/srv/static/static", "/etc/app/app.yaml", "/srv/notes.txt", "/bin/hello"} {
		_, ok := tree[p]
		require.False(t, ok, "%s must not be in the image", p)
	}

	cf, err := res.Image.ConfigFile()
	require.NoError(t, err)
	c := cf.Config
	require.Equal(t, []string{"/bin/hello"}, c.Entrypoint)
	require.Equal(t, []string{"--port", "8080"}, c.Cmd)
	require.Equal(t, []string{"LANG=C.UTF-8", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP_VERSION=1.4.0", "APP_HOME=/srv"}, c.Env)
	require.Equal(t, "/srv", c.WorkingDir)
	require.Equal(t, "app", c.User)
	require.Equal(t, map[string]struct{}{"8080/tcp": {}, "9090/udp": {}}, c.ExposedPorts)
	require.Equal(t, map[string]string{"org.example.version": "1.4.0", "org.example.arch": "amd64"}, c.Labels)
	require.Equal(t, "SIGTERM", c.StopSignal)
	require.Equal(t, &v1.HealthConfig{Test: []string{"CMD", "/bin/hello", "health"}, Interval: 30 * time.Second, Timeout: 3 * time.Second, Retries: 2}, c.Healthcheck)
	require.Equal(t, []string{"/bin/sh", "-eu", "-c"}, c.Shell)
	require.Equal(t, map[string]struct{}{"/srv/data": {}}, c.Volumes)
	require.Equal(t, "amd64", cf.Architecture)
	require.Equal(t, dfEpoch.Unix(), cf.Created.Unix())

	// One layer for the base, one for WORKDIR /srv (new), one per COPY.
	layers, err := res.Image.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1+7)
	require.Len(t, cf.History, 1+19)
	require.Equal(t, "COPY --chown=app:staff data/ data/", cf.History[9].CreatedBy)
	require.True(t, cf.History[3].EmptyLayer, "ENV adds no layer")
	require.Equal(t, "ENV APP_VERSION=${VERSION} APP_HOME=/srv", cf.History[3].CreatedBy, "history shows the instruction as written, not build-arg values")

	m, err := res.Image.Manifest()
	require.NoError(t, err)
	require.Equal(t, host+"/platform/base:1", m.Annotations[oci.AnnotationBaseName])
	require.Equal(t, res.Bases[len(res.Bases)-1].Digest.DigestStr(), m.Annotations[oci.AnnotationBaseDigest])
	require.Equal(t, "abc123", m.Annotations[oci.AnnotationRevision])
}

func TestDockerfileReproducible(t *testing.T) {
	host := dfRegistry(t)
	var digests []v1.Hash
	for range 2 {
		// A fresh copy each time: paths, inode times and walk order differ.
		res, err := dfBuild(t, dfContext(t, "app"), dfArgs(host))
		require.NoError(t, err)
		d, err := res.Digest()
		require.NoError(t, err)
		digests = append(digests, d)
	}
	require.Equal(t, digests[0], digests[1])
}

func TestDockerfileMultiPlatform(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": `
ARG REGISTRY
FROM --platform=linux/arm64 ${REGISTRY}/platform/base:1 AS arm
FROM ${REGISTRY}/platform/base:1
ARG TARGETARCH
COPY --from=arm /etc/arch /etc/arm-arch
LABEL arch=$TARGETARCH
`})
	res, err := dfBuild(t, dir, dfArgs(host), build.WithPlatforms(dfAMD64, dfARM64))
	require.NoError(t, err)
	require.NotNil(t, res.Index)
	ref, err := name.NewTag(host + "/svc/multi:test")
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, res.Index))
	pulled, err := remote.Index(ref)
	require.NoError(t, err)
	require.NoError(t, validate.Index(pulled))
	im, err := res.Index.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 2)
	for i, p := range []v1.Platform{dfAMD64, dfARM64} {
		require.Equal(t, p.Architecture, im.Manifests[i].Platform.Architecture)
		img, err := res.Index.Image(im.Manifests[i].Digest)
		require.NoError(t, err)
		tree := dfTree(t, img)
		require.Equal(t, p.Architecture+"\n", tree["/etc/arch"].data)
		require.Equal(t, "arm64\n", tree["/etc/arm-arch"].data, "FROM --platform picks the arm64 base")
		cf, err := img.ConfigFile()
		require.NoError(t, err)
		require.Equal(t, p.Architecture, cf.Config.Labels["arch"])
		require.Equal(t, p.Architecture, cf.Architecture)
	}
}

func TestDockerfileArgs(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": `
ARG REGISTRY
ARG REPO=platform/base
ARG TAG=1
FROM $REGISTRY/${REPO}:${TAG}
ARG GREETING=hello
ARG TAG
ENV MESSAGE="${GREETING} world" BASE_TAG=$TAG
LABEL greeting=${GREETING:-none} unset=${NOPE:-fallback}
ENV GREETING=from-env
LABEL which=$GREETING
`})
	for _, tc := range []struct {
		name   string
		args   []string
		env    []string
		labels map[string]string
		warn   []string
	}{
		{
			name:   "defaults",
			env:    []string{"MESSAGE=hello world", "BASE_TAG=1"},
			labels: map[string]string{"greeting": "hello", "unset": "fallback", "which": "from-env"},
		},
		{
			name:   "build args override defaults",
			args:   []string{"GREETING", "hi", "EXTRA", "x"},
			env:    []string{"MESSAGE=hi world", "BASE_TAG=1"},
			labels: map[string]string{"greeting": "hi", "unset": "fallback", "which": "from-env"},
			warn:   []string{`build arg "EXTRA" is not declared by any ARG of the stages built: it has no effect`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := dfBuild(t, dir, dfArgs(host, tc.args...))
			require.NoError(t, err)
			cf, err := res.Image.ConfigFile()
			require.NoError(t, err)
			require.Equal(t, append([]string{"LANG=C.UTF-8", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, append(tc.env, "GREETING=from-env")...), cf.Config.Env)
			require.Equal(t, tc.labels, cf.Config.Labels)
			require.Equal(t, tc.warn, res.Warnings)
		})
	}
}

func TestDockerfileCopySemantics(t *testing.T) {
	host := dfRegistry(t)
	for _, tc := range []struct {
		name   string
		lines  string
		files  map[string]string // path in the image → content ("" for a directory)
		absent []string
	}{
		{name: "file to a new path", lines: "COPY a.txt /opt/renamed", files: map[string]string{"/opt/renamed": "a\n"}},
		{name: "file into a directory", lines: "COPY a.txt /opt/", files: map[string]string{"/opt/a.txt": "a\n"}},
		{name: "file into an existing directory", lines: "COPY a.txt /tmp", files: map[string]string{"/tmp/a.txt": "a\n"}},
		{name: "directory contents, not the directory", lines: "COPY dir /opt/x", files: map[string]string{"/opt/x/b.txt": "b\n", "/opt/x/sub/c.txt": "c\n"}, absent: []string{"/opt/x/dir"}},
		{name: "whole context", lines: "COPY . /ctx/", files: map[string]string{"/ctx/a.txt": "a\n", "/ctx/dir/sub/c.txt": "c\n"}},
		{name: "wildcard with one match is a file", lines: "COPY dir/*.txt /opt/one.txt", files: map[string]string{"/opt/one.txt": "b\n"}},
		{name: "wildcard with several matches", lines: "COPY *.txt dir/*.txt /opt/many/", files: map[string]string{"/opt/many/a.txt": "a\n", "/opt/many/b.txt": "b\n"}},
		{name: "relative to WORKDIR", lines: "WORKDIR /work\nCOPY a.txt ./", files: map[string]string{"/work/a.txt": "a\n"}},
		{name: "through a symlinked directory of the base", lines: "COPY a.txt /bin/", files: map[string]string{"/usr/bin/a.txt": "a\n"}},
		{name: "symlink inside the context is followed", lines: "COPY link.txt /opt/", files: map[string]string{"/opt/link.txt": "a\n"}},
		{name: "exclude", lines: "COPY --exclude=sub dir /opt/", files: map[string]string{"/opt/b.txt": "b\n"}, absent: []string{"/opt/sub/c.txt"}},
		{name: "add unpacks a local archive", lines: "ADD pkg.tar.gz /opt/", files: map[string]string{"/opt/pkg/README": "readme\n", "/opt/pkg/lib/util.sh": "util\n"}, absent: []string{"/opt/pkg.tar.gz"}},
		{name: "add copies a plain file", lines: "ADD a.txt /opt/", files: map[string]string{"/opt/a.txt": "a\n"}},
		{name: "add --unpack=false keeps the archive", lines: "ADD --unpack=false pkg.tar.gz /opt/", absent: []string{"/opt/pkg/README"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dfWrite(t, dir, map[string]string{
				"Dockerfile": "ARG REGISTRY\nFROM $REGISTRY/platform/base:1\n" + tc.lines + "\n",
				"a.txt":      "a\n", "dir/b.txt": "b\n", "dir/sub/c.txt": "c\n",
			})
			require.NoError(t, os.Symlink("a.txt", filepath.Join(dir, "link.txt")))
			writeTarGz(t, filepath.Join(dir, "pkg.tar.gz"), map[string]string{"pkg/README": "readme\n", "pkg/lib/util.sh": "util\n"})
			res, err := dfBuild(t, dir, dfArgs(host))
			require.NoError(t, err)
			tree := dfTree(t, res.Image)
			for p, content := range tc.files {
				e, ok := tree[p]
				require.True(t, ok, "missing %s", p)
				require.Equal(t, content, e.data, p)
			}
			for _, p := range tc.absent {
				_, ok := tree[p]
				require.False(t, ok, "%s must not be in the image", p)
			}
			require.Equal(t, int64(0o1777), tree["/tmp"].hdr.Mode, "/tmp keeps its mode")
			require.Equal(t, "usr/bin", tree["/bin"].hdr.Linkname, "/bin stays a symlink")
		})
	}
}

func TestDockerfileAddArchiveOwnership(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": "ARG REGISTRY\nFROM $REGISTRY/platform/base:1\nADD pkg.tar.gz /opt/\nADD --chown=65532 --chmod=0600 pkg.tar.gz /srv/\n"})
	writeTarGz(t, filepath.Join(dir, "pkg.tar.gz"), map[string]string{"pkg/README": "readme\n", "pkg/lib/util.sh": "util\n"})
	res, err := dfBuild(t, dir, dfArgs(host))
	require.NoError(t, err)
	tree := dfTree(t, res.Image)
	readme := tree["/opt/pkg/README"].hdr
	require.Equal(t, []int64{0o640, 7, 7}, []int64{readme.Mode, int64(readme.Uid), int64(readme.Gid)}, "archive modes and owners are kept")
	readme = tree["/srv/pkg/README"].hdr
	require.Equal(t, []int64{0o600, 65532, 65532}, []int64{readme.Mode, int64(readme.Uid), int64(readme.Gid)})
}

func TestDockerfileCopyFromImage(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": `
ARG REGISTRY
FROM scratch
COPY --from=` + host + `/platform/base:1 /etc/passwd /etc/group /etc/
COPY --from=` + host + `/platform/base:1 /home/app /home/app
USER nonroot
`})
	res, err := dfBuild(t, dir, dfArgs(host))
	require.NoError(t, err)
	tree := dfTree(t, res.Image)
	passwd, err := os.ReadFile(filepath.Join("testdata", "dockerfile", "base", "passwd"))
	require.NoError(t, err)
	require.Equal(t, string(passwd), tree["/etc/passwd"].data)
	require.Contains(t, tree["/etc/group"].data, "staff:x:50:")
	home := tree["/home/app"].hdr
	require.Equal(t, []int64{0o750, 1000, 1000}, []int64{home.Mode, int64(home.Uid), int64(home.Gid)}, "--from keeps owners")

	// The image is resolved and checked like a base, but a scratch final
	// stage annotates no base.
	require.Len(t, res.Bases, 1)
	m, err := res.Image.Manifest()
	require.NoError(t, err)
	require.NotContains(t, m.Annotations, oci.AnnotationBaseName)
	cf, err := res.Image.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "linux", cf.OS)
	require.Equal(t, "amd64", cf.Architecture)
}

func TestDockerfileWorkdirOwner(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": "ARG REGISTRY\nFROM $REGISTRY/platform/base:1\nUSER nonroot\nWORKDIR /var/lib/app\nWORKDIR /tmp\n"})
	res, err := dfBuild(t, dir, dfArgs(host))
	require.NoError(t, err)
	tree := dfTree(t, res.Image)
	wd := tree["/var/lib/app"].hdr
	require.Equal(t, []int64{tar.TypeDir, 0o755, 65532, 65532}, []int64{int64(wd.Typeflag), wd.Mode, int64(wd.Uid), int64(wd.Gid)})
	layers, err := res.Image.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 2, "WORKDIR of an existing directory adds no layer")
}

func TestDockerfileRunInUnusedStage(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": "ARG REGISTRY\nFROM $REGISTRY/platform/base:1 AS tools\nRUN make tools\n\nFROM $REGISTRY/platform/base:1 AS app\nLABEL ok=yes\n"})
	_, err := dfBuild(t, dir, dfArgs(host))
	require.NoError(t, err, "a stage the target does not need is not executed")
	_, err = dfBuild(t, dir, dfArgs(host), build.WithTarget("tools"))
	require.ErrorIs(t, err, build.ErrNeedsContainer)
}

func TestDockerfileRefusals(t *testing.T) {
	host := dfRegistry(t)
	outside := t.TempDir()
	dfWrite(t, outside, map[string]string{"secret.txt": "host secret\n"})
	for _, tc := range []struct {
		name       string
		dockerfile string
		setup      func(t *testing.T, dir string)
		opts       []build.Option
		kind       failure.Kind
		is         error
		contains   []string
	}{
		{
			name:       "RUN names the file and line",
			dockerfile: "ARG REGISTRY\nFROM $REGISTRY/platform/base:1\nCOPY a.txt /\nRUN apk add curl\n",
			kind:       failure.BadInput, is: build.ErrNeedsContainer,
			contains: []string{"Dockerfile:4: RUN needs a running container", "dagger call build", "--buildkit-host"},
		},
		{
			name:       "RUN heredoc",
			dockerfile: "FROM scratch\nRUN <<EOF\necho hi\nEOF\n",
			kind:       failure.BadInput, is: build.ErrNeedsContainer, contains: []string{"Dockerfile:2: RUN"},
		},
		{
			name:       "ADD of a URL",
			dockerfile: "FROM scratch\nADD https://example.com/app.tar.gz /opt/\n",
			kind:       failure.BadInput, is: build.ErrUnsupported,
			contains: []string{"Dockerfile:2: ADD of \"https://example.com/app.tar.gz\"", "COPY it", "dagger call build"},
		},
		{
			name:       "ADD of a URL from an ARG",
			dockerfile: "FROM scratch\nARG URL=https://example.com/x\nADD ${URL} /opt/\n",
			kind:       failure.BadInput, is: build.ErrUnsupported, contains: []string{"Dockerfile:3: ADD of \"https://example.com/x\""},
		},
		{
			name:       "ADD of a git repository",
			dockerfile: "FROM scratch\nADD git@github.com:org/repo.git /src\n",
			kind:       failure.BadInput, is: build.ErrUnsupported, contains: []string{"Dockerfile:2:"},
		},
		{
			name:       "../ escapes the context",
			dockerfile: "FROM scratch\nCOPY ../secret.txt /\n",
			kind:       failure.BadInput, is: build.ErrEscapesContext, contains: []string{"Dockerfile:2:", `"../secret.txt"`},
		},
		{
			name:       "absolute source",
			dockerfile: "FROM scratch\nCOPY /etc/passwd /\n",
			kind:       failure.BadInput, is: build.ErrEscapesContext, contains: []string{`"/etc/passwd"`},
		},
		{
			name:       "wildcard escaping the context",
			dockerfile: "FROM scratch\nCOPY ../*.txt /\n",
			kind:       failure.BadInput, is: build.ErrEscapesContext,
		},
		{
			name:       "symlink pointing outside",
			dockerfile: "FROM scratch\nCOPY leak.txt /\n",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "leak.txt")))
			},
			kind: failure.BadInput, is: build.ErrEscapesContext, contains: []string{`"leak.txt"`},
		},
		{
			name:       "symlinked directory pointing outside",
			dockerfile: "FROM scratch\nCOPY out/secret.txt /\n",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink(outside, filepath.Join(dir, "out")))
			},
			kind: failure.BadInput, is: build.ErrEscapesContext, contains: []string{`"out/secret.txt"`},
		},
		{
			name:       "source ignored by .dockerignore",
			dockerfile: "FROM scratch\nCOPY a.txt /\n",
			setup:      func(t *testing.T, dir string) { dfWrite(t, dir, map[string]string{".dockerignore": "a.txt\n"}) },
			kind:       failure.BadInput, contains: []string{"excluded by .dockerignore"},
		},
		{
			name:       "missing source",
			dockerfile: "FROM scratch\nCOPY nope.txt /\n",
			kind:       failure.BadInput, is: fs.ErrNotExist, contains: []string{"Dockerfile:2:", `"nope.txt"`},
		},
		{
			name:       "unknown instruction",
			dockerfile: "FROM scratch\nCOPPY a.txt /\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", "unknown instruction: COPPY"},
		},
		{
			name:       "malformed instruction",
			dockerfile: "FROM scratch\nCOPY a.txt\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", "COPY requires at least two arguments"},
		},
		{
			name:       "no FROM",
			dockerfile: "# nothing\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:1:", "no instructions"},
		},
		{
			name: "missing Dockerfile",
			opts: []build.Option{build.WithDockerfile("build/Dockerfile.prod")},
			kind: failure.BadInput, contains: []string{"Dockerfile.prod", "no such file"},
		},
		{
			name:       "unknown target",
			dockerfile: "FROM scratch AS one\n",
			opts:       []build.Option{build.WithTarget("two")},
			kind:       failure.BadInput, contains: []string{`target stage "two" not found`, "one"},
		},
		{
			name:       "COPY --from a later stage",
			dockerfile: "FROM scratch AS one\nCOPY --from=two /x /x\nFROM scratch AS two\n",
			opts:       []build.Option{build.WithTarget("one")},
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", "not defined before"},
		},
		{
			name:       "base not found",
			dockerfile: "ARG REGISTRY\nFROM $REGISTRY/platform/missing:1\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", "platform/missing:1"},
		},
		{
			name:       "registry unreachable",
			dockerfile: "FROM 127.0.0.1:1/platform/base:1\n",
			kind:       failure.Transient, contains: []string{"Dockerfile:1:"},
		},
		{
			name:       "unknown --chown user",
			dockerfile: "ARG REGISTRY\nFROM $REGISTRY/platform/base:1\nCOPY --chown=ghost a.txt /\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:3:", `"ghost" is not in the stage's /etc/passwd`},
		},
		{
			name:       "bad --chmod",
			dockerfile: "FROM scratch\nCOPY --chmod=u+x a.txt /\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", "octal"},
		},
		{
			name:       "bad STOPSIGNAL",
			dockerfile: "FROM scratch\nSTOPSIGNAL SIGNOPE\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", "SIGNOPE"},
		},
		{
			name:       "bad EXPOSE",
			dockerfile: "FROM scratch\nEXPOSE http\n",
			kind:       failure.BadInput, contains: []string{"Dockerfile:2:", `EXPOSE "http"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dfWrite(t, dir, map[string]string{"a.txt": "a\n"})
			if tc.dockerfile != "" {
				dfWrite(t, dir, map[string]string{"Dockerfile": tc.dockerfile})
			}
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			res, err := dfBuild(t, dir, append([]build.Option{dfArgs(host)}, tc.opts...)...)
			require.Error(t, err)
			require.Nil(t, res)
			require.Equal(t, tc.kind, failure.KindOf(err), "class of %v", err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.NotContains(t, err.Error(), "\n", "one line")
			for _, s := range tc.contains {
				require.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestDockerfileDeniedBase(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{"Dockerfile": "ARG REGISTRY\nFROM scratch AS files\nFROM $REGISTRY/platform/base:1\n"})
	pol := &policy.Policy{APIVersion: policy.APIVersion, Kind: "Policy", Bases: policy.Bases{Denied: []policy.Denial{{
		Image: host + "/platform/base:1", Reason: "CVE-2026-0001 in its libc", Replacement: host + "/platform/base:2",
	}}}}
	res, err := dfBuild(t, dir, dfArgs(host), build.WithPolicy(pol))
	require.Error(t, err)
	require.Nil(t, res)
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Contains(t, err.Error(), "Dockerfile:3:")
	require.Contains(t, err.Error(), "CVE-2026-0001 in its libc")
	require.Contains(t, err.Error(), "use "+host+"/platform/base:2 instead")

	// COPY --from of an image is checked too.
	dfWrite(t, dir, map[string]string{"Dockerfile": "FROM scratch\nCOPY --from=" + host + "/platform/base:1 /etc/passwd /etc/\n"})
	_, err = dfBuild(t, dir, dfArgs(host), build.WithPolicy(pol))
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Contains(t, err.Error(), "Dockerfile:2:")
}

func TestDockerfileIgnore(t *testing.T) {
	host := dfRegistry(t)
	dir := dfContext(t, "app")
	dfWrite(t, dir, map[string]string{
		"Dockerfile":              "FROM scratch\nCOPY . /ctx/\n",
		".dockerignore":           "*.txt\nsecrets/\nstatic/**\n!static/index.html\n",
		"Dockerfile.dockerignore": "",
	})
	require.NoError(t, os.Remove(filepath.Join(dir, "Dockerfile.dockerignore")))
	res, err := dfBuild(t, dir, dfArgs(host))
	require.NoError(t, err)
	tree := dfTree(t, res.Image)
	for _, p := range []string{"/ctx/Dockerfile", "/ctx/.dockerignore", "/ctx/bin/hello.sh", "/ctx/static/index.html", "/ctx/data/greetings.json"} {
		require.Contains(t, tree, p)
	}
	for _, p := range []string{"/ctx/notes.txt", "/ctx/secrets/token", "/ctx/secrets", "/ctx/static/css/site.css"} {
		require.NotContains(t, tree, p)
	}

	// A Dockerfile's own ignore file wins over the context's.
	dfWrite(t, dir, map[string]string{"build.Dockerfile": "FROM scratch\nCOPY . /ctx/\n", "build.Dockerfile.dockerignore": "data\n"})
	res, err = dfBuild(t, dir, build.WithDockerfile("build.Dockerfile"))
	require.NoError(t, err)
	tree = dfTree(t, res.Image)
	require.Contains(t, tree, "/ctx/notes.txt")
	require.NotContains(t, tree, "/ctx/data/greetings.json")
}

func TestDockerfileContextLimit(t *testing.T) {
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{
		"Dockerfile":    "FROM scratch\nCOPY app.bin /\n",
		"app.bin":       strings.Repeat("x", 3000),
		"cache/big.bin": strings.Repeat("y", 10000),
	})
	for _, tc := range []struct {
		name   string
		ignore string
		limit  int64
		err    bool
	}{
		{name: "over the limit", limit: 4096, err: true},
		{name: "ignored files do not count", ignore: "cache/\n", limit: 4096},
		{name: "no limit", limit: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dfWrite(t, dir, map[string]string{".dockerignore": tc.ignore})
			_, err := dfBuild(t, dir, build.WithContextLimit(tc.limit))
			if !tc.err {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, build.ErrContextTooLarge)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.Contains(t, err.Error(), "12.7 KiB after .dockerignore, limit 4.0 KiB")
		})
	}
}

func TestDockerfileOnbuild(t *testing.T) {
	host := dfRegistry(t)
	dir := t.TempDir()
	dfWrite(t, dir, map[string]string{
		"Dockerfile": "ARG REGISTRY\nFROM $REGISTRY/platform/base:1 AS parent\nONBUILD COPY a.txt /onbuild/\nLABEL parent=yes\n\nFROM parent\nLABEL child=yes\n",
		"a.txt":      "a\n",
	})
	res, err := dfBuild(t, dir, dfArgs(host), build.WithTarget("parent"))
	require.NoError(t, err)
	cf, err := res.Image.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, []string{"COPY a.txt /onbuild/"}, cf.Config.OnBuild, "ONBUILD is recorded")

	res, err = dfBuild(t, dir, dfArgs(host))
	require.NoError(t, err)
	require.Equal(t, "a\n", dfTree(t, res.Image)["/onbuild/a.txt"].data, "the trigger ran in the child")
	cf, err = res.Image.ConfigFile()
	require.NoError(t, err)
	require.Empty(t, cf.Config.OnBuild)
}

func BenchmarkDockerfile(b *testing.B) {
	host := dfRegistry(b)
	dir := dfContext(b, "app")
	b.ReportAllocs()
	for b.Loop() {
		res, err := dfBuild(b, dir, dfArgs(host))
		require.NoError(b, err)
		_, err = res.Digest()
		require.NoError(b, err)
	}
}
