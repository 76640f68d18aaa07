package build

import (
	"archive/tar"
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session/auth"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

func TestPlanBuildKit(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		args       map[string]string
		target     string
		images     []string
		secrets    []string
		final      string
		err        string
	}{
		{
			name:       "RUN is allowed and FROM, COPY --from and RUN --mount from= images are listed once",
			dockerfile: "FROM reg.example/go:1 AS build\nRUN --mount=type=bind,from=reg.example/tools:2,target=/t echo hi\nCOPY --from=reg.example/assets:3 /a /a\nFROM reg.example/static:1\nCOPY --from=build /a /a\nCOPY --from=reg.example/assets:3 /b /b\n",
			images:     []string{"reg.example/go:1", "reg.example/tools:2", "reg.example/assets:3", "reg.example/static:1"},
			final:      "reg.example/static:1",
		},
		{
			name:       "ARG in FROM is expanded with the build arg",
			dockerfile: "ARG BASE=reg.example/a:1\nFROM $BASE\nRUN true\n",
			args:       map[string]string{"BASE": "reg.example/b:2"},
			images:     []string{"reg.example/b:2"},
			final:      "reg.example/b:2",
		},
		{
			name:       "only the target's stages count",
			dockerfile: "FROM reg.example/a:1 AS one\nRUN true\nFROM reg.example/b:1 AS two\nRUN true\n",
			target:     "one",
			images:     []string{"reg.example/a:1"},
			final:      "reg.example/a:1",
		},
		{
			name:       "scratch is not an image",
			dockerfile: "FROM scratch\nCOPY x /x\n",
		},
		{
			name:       "secret ids as BuildKit derives them",
			dockerfile: "FROM reg.example/a:1\nRUN --mount=type=secret,id=npm true\nRUN --mount=type=secret,target=/root/.netrc true\nRUN --mount=type=secret,id=tok,env=TOKEN true\n",
			images:     []string{"reg.example/a:1"},
			secrets:    []string{".netrc", "npm", "tok"},
			final:      "reg.example/a:1",
		},
		{
			name:       "an ARG without default or value is refused",
			dockerfile: "FROM reg.example/a:1\nARG VERSION\nRUN echo $VERSION\n",
			err:        "Dockerfile:2: ARG VERSION has no default and no value was given: write ARG VERSION=DEFAULT",
		},
		{
			name:       "an ARG with an empty default is fine",
			dockerfile: "FROM reg.example/a:1\nARG VERSION=\nARG TARGETARCH\nRUN echo $VERSION\n",
			images:     []string{"reg.example/a:1"},
			final:      "reg.example/a:1",
		},
		{
			name:       "a stage named like a pinned image is refused",
			dockerfile: "FROM node AS node\nRUN true\n",
			err:        "Dockerfile:1: a stage is named \"node\" like the image \"node\"",
		},
		{
			name:       "unknown target",
			dockerfile: "FROM reg.example/a:1 AS one\n",
			target:     "two",
			err:        "target stage \"two\" not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOptions([]Option{WithBuildArgs(tt.args), WithTarget(tt.target)})
			bp, err := planBuildKit("Dockerfile", []byte(tt.dockerfile), DefaultPlatform, o)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.True(t, failure.KindOf(err) == failure.BadInput, "bad input: %v", err)
				return
			}
			require.NoError(t, err)
			var refs []string
			for _, img := range bp.images {
				refs = append(refs, img.ref)
			}
			require.Equal(t, tt.images, refs)
			require.Equal(t, tt.final, bp.finalBase)
			if tt.secrets == nil {
				tt.secrets = []string{}
			}
			require.Equal(t, tt.secrets, bp.secretIDs())
		})
	}
}

func TestContextKey(t *testing.T) {
	tests := map[string]string{
		"alpine":                            "alpine",
		"alpine:latest":                     "alpine",
		"docker.io/library/alpine:3":        "alpine:3",
		"127.0.0.1:5000/platform/base:1":    "127.0.0.1:5000/platform/base:1",
		"ghcr.io/org/img@sha256:" + hex64(): "ghcr.io/org/img@sha256:" + hex64(),
	}
	for ref, want := range tests {
		got, err := contextKey(ref)
		require.NoError(t, err, ref)
		require.Equal(t, want, got, ref)
	}
}

func hex64() string { return strings.Repeat("ab", 32) }

func TestParseCache(t *testing.T) {
	tests := []struct {
		name, spec string
		want       Cache
		err        string
	}{
		{name: "registry", spec: "type=registry,ref=reg.example/cache:svc,mode=max",
			want: Cache{Type: "registry", Attrs: map[string]string{"ref": "reg.example/cache:svc", "mode": "max"}}},
		{name: "bare ref", spec: "reg.example/cache:svc", want: Cache{Type: "registry", Attrs: map[string]string{"ref": "reg.example/cache:svc"}}},
		{name: "local export", spec: "type=local,dest=/tmp/c", want: Cache{Type: "local", Attrs: map[string]string{"dest": "/tmp/c"}}},
		{name: "registry without ref", spec: "type=registry", err: "needs ref="},
		{name: "local without dir", spec: "type=local,mode=max", err: "needs src=DIR"},
		{name: "unknown type", spec: "type=s3,bucket=x", err: "type \"s3\" is not supported"},
		{name: "bad mode", spec: "type=local,dest=/x,mode=all", err: "mode must be min or max"},
		{name: "not key=value", spec: "type=local,dest", err: "is not KEY=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCache(tt.spec)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.True(t, failure.KindOf(err) == failure.BadInput)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func FuzzParseCache(f *testing.F) {
	for _, s := range []string{"type=registry,ref=r/c:1", "type=local,src=/x", "r/c", "", ",,=", "type=local,dest=a,mode=max"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := ParseCache(spec)
		if err != nil {
			require.True(t, failure.KindOf(err) == failure.BadInput, "unclassified: %v", err)
			return
		}
		require.Contains(t, []string{"registry", "local"}, c.Type)
	})
}

func buildKitDir(t *testing.T, dockerfile string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644))
	return dir
}

func TestBuildKitRefusesBeforeConnecting(t *testing.T) {
	// The endpoint does not exist: each case must fail before dialing it.
	host := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		name, dockerfile string
		cfg              BuildKitConfig
		err              string
	}{
		{name: "secret not given", dockerfile: "FROM scratch\nRUN --mount=type=secret,id=npm true\n",
			err: "Dockerfile:2: RUN mounts secret \"npm\": the secret was not given"},
		{name: "secret file unreadable", dockerfile: "FROM scratch\n", cfg: BuildKitConfig{Secrets: []Secret{{ID: "npm", File: "/nonexistent/npmrc"}}},
			err: "reading secret \"npm\" from \"/nonexistent/npmrc\""},
		{name: "missing build arg", dockerfile: "FROM scratch\nARG V\n", err: "ARG V has no default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Host = host
			_, err := BuildKit(buildKitDir(t, tt.dockerfile), tt.cfg).Build(context.Background())
			require.ErrorContains(t, err, tt.err)
			require.True(t, failure.KindOf(err) == failure.BadInput, "bad input: %v", err)
		})
	}
}

func TestBuildKitEndpointErrors(t *testing.T) {
	dir := buildKitDir(t, "FROM scratch\nRUN true\n")
	tlsSrv := httptest.NewTLSServer(nil)
	t.Cleanup(tlsSrv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	// A CA that did not sign the server's certificate.
	require.NoError(t, os.WriteFile(ca, otherCA(t), 0o600))
	closed := listenAndClose(t)
	tests := []struct {
		name      string
		cfg       BuildKitConfig
		transient bool
		err       string
	}{
		{name: "no socket", cfg: BuildKitConfig{Host: "unix://" + filepath.Join(t.TempDir(), "none.sock")}, transient: true, err: "start a daemon (paved buildkit serve)"},
		{name: "nothing listening", cfg: BuildKitConfig{Host: "tcp://" + closed}, transient: true, err: "connecting to BuildKit at"},
		{name: "untrusted server certificate", cfg: BuildKitConfig{Host: "tcp://" + tlsSrv.Listener.Addr().String(), CACert: ca, ServerName: "example.com"}, err: "TLS failed"},
		{name: "missing CA file", cfg: BuildKitConfig{Host: "tcp://" + tlsSrv.Listener.Addr().String(), CACert: "/nonexistent/ca.pem"}, err: "TLS failed"},
		{name: "not an endpoint", cfg: BuildKitConfig{Host: "http://x"}, err: "want unix:///PATH or tcp://HOST:PORT"},
		{name: "TLS on a socket", cfg: BuildKitConfig{Host: "unix:///x.sock", CACert: ca}, err: "need a tcp:// endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildKit(dir, tt.cfg).Build(context.Background())
			require.ErrorContains(t, err, tt.err)
			if tt.transient {
				require.True(t, failure.KindOf(err) == failure.Transient, "transient: %v", err)
			} else {
				require.True(t, failure.KindOf(err) == failure.BadInput, "bad input: %v", err)
			}
		})
	}
}

// otherCA returns the PEM certificate of a fresh TLS test server, which did
// not sign any other server's certificate.
func otherCA(t *testing.T) []byte {
	srv := httptest.NewUnstartedServer(nil)
	srv.TLS = &tls.Config{}
	srv.StartTLS()
	defer srv.Close()
	return pemCert(srv.Certificate().Raw)
}

func listenAndClose(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestReadOCIArchive(t *testing.T) {
	img, err := random.Image(512, 3)
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = layout.Write(dir, empty.Index)
	require.NoError(t, err)
	require.NoError(t, layout.Path(dir).AppendImage(img))
	file := filepath.Join(t.TempDir(), "oci.tar")
	tarDir(t, dir, file)

	a, err := readOCIArchive(file)
	require.NoError(t, err)
	got, err := a.image()
	require.NoError(t, err)
	require.NoError(t, validate.Image(got))
	want, err := img.Digest()
	require.NoError(t, err)
	gotDigest, err := got.Digest()
	require.NoError(t, err)
	require.Equal(t, want, gotDigest)
	_, err = a.images([]v1.Platform{DefaultPlatform})
	require.ErrorContains(t, err, "want one image index")
}

func TestStepLogMasksSecrets(t *testing.T) {
	var out strings.Builder
	l := newStepLog(&out, map[string][]byte{"tok": []byte("hunter2-secret\n")})
	v := bkVertex("RUN echo")
	l.add(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{v}})
	// The value is split across two messages.
	l.add(&bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{Vertex: v.Digest, Data: []byte("token is hunter2-")}}})
	l.add(&bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{Vertex: v.Digest, Data: []byte("secret\ndone\n")}}})
	require.Equal(t, "#1 token is ****\n#1 done\n", out.String())
}

func tarDir(t *testing.T, dir, file string) {
	t.Helper()
	f, err := os.Create(file)
	require.NoError(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	}))
	require.NoError(t, tw.Close())
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func bkVertex(name string) *bkclient.Vertex {
	return &bkclient.Vertex{Digest: digest.FromString(name), Name: name}
}

type staticKeychain map[string]authn.AuthConfig

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if c, ok := k[r.RegistryStr()]; ok {
		return authn.FromConfig(c), nil
	}
	return authn.Anonymous, nil
}

func TestKeychainAuth(t *testing.T) {
	kc := staticKeychain{
		"reg.example":     {Username: "ci", Password: "pw"},
		"index.docker.io": {IdentityToken: "tok"},
	}
	tests := []struct {
		host           string
		user, password string
	}{
		{host: "reg.example", user: "ci", password: "pw"},
		{host: "registry-1.docker.io", password: "tok"},
		{host: "other.example"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			resp, err := (&keychainAuth{kc: kc}).Credentials(context.Background(), &auth.CredentialsRequest{Host: tt.host})
			require.NoError(t, err)
			require.Equal(t, tt.user, resp.Username)
			require.Equal(t, tt.password, resp.Secret)
		})
	}
}
