package registry_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/registry"
)

// serve starts the embedded registry on dir and returns its host.
func serve(t *testing.T, dir string) (string, func()) {
	t.Helper()
	h, err := registry.Handler(dir)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	return strings.TrimPrefix(srv.URL, "http://"), srv.Close
}

func TestImagesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	host, stop := serve(t, dir)
	img, err := random.Image(1024, 2)
	require.NoError(t, err)
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})
	tag, err := name.NewTag(host + "/svc/app:1")
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(tag, idx))
	deleted, err := name.NewTag(host + "/svc/app:gone")
	require.NoError(t, err)
	require.NoError(t, remote.Write(deleted, img))
	require.NoError(t, remote.Delete(deleted))
	stop()

	host2, stop2 := serve(t, dir)
	defer stop2()
	got, err := remote.Index(mustTag(t, host2+"/svc/app:1"))
	require.NoError(t, err)
	require.NoError(t, validate.Index(got))
	want, _ := idx.Digest()
	gotDigest, _ := got.Digest()
	require.Equal(t, want, gotDigest)
	_, err = remote.Image(mustTag(t, host2+"/svc/app:gone"))
	require.Error(t, err, "a deleted tag stays deleted after a restart")
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "8.8.8.8:5000", "nonsense"} {
		_, err := registry.Listen(addr)
		require.Error(t, err, addr)
		require.Equal(t, failure.BadInput, failure.KindOf(err))
	}
	l, err := registry.Listen("127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	h, err := registry.Handler(t.TempDir())
	require.NoError(t, err)
	go func() { done <- registry.Serve(ctx, l, h) }()
	cancel()
	require.NoError(t, <-done)
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	require.NoError(t, err)
	return tag
}
