//go:build smoke

package smoke_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/smoke"
	"github.com/paved-dev/paved/pipelines/smoke/smoketest"
)

// serverImage is testdata/server, built static, as /server in an image that
// runs as 65532 — nothing else in it, so the test needs no Debian base.
func serverImage(t *testing.T) v1.Image {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "server", Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}))
	_, err = tw.Write(data)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	require.NoError(t, err)
	img, err := mutate.AppendLayers(empty.Image, layer)
	require.NoError(t, err)
	img, err = mutate.Config(img, v1.Config{Entrypoint: []string{"/server"}, User: "65532:65532"})
	require.NoError(t, err)
	return img
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestCheck(t *testing.T) {
	rt := &smoke.Runc{Binary: smoketest.Runc(t), Dir: t.TempDir(), Grace: 2 * time.Second}
	img := serverImage(t)
	tests := []struct {
		mode    string
		timeout time.Duration
		wantErr error
		wantMsg string
	}{
		{mode: "healthy", timeout: 30 * time.Second},
		{mode: "exit", timeout: 30 * time.Second, wantErr: smoke.ErrExited, wantMsg: "exiting on purpose"},
		{mode: "sick", timeout: 4 * time.Second, wantErr: context.DeadlineExceeded, wantMsg: "answered 500"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			port := freePort(t)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
			res, err := smoke.Check(ctx, rt, img, url, smoke.Spec{Env: []string{"MODE=" + tt.mode, "PORT=" + strconv.Itoa(port)}})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorContains(t, err, tt.wantMsg)
				require.False(t, res.Healthy)
			} else {
				require.NoError(t, err)
				require.True(t, res.Healthy)
				require.Equal(t, 200, res.Status)
				require.Contains(t, res.Logs, "mode healthy uid 65532", "the image's user runs it")
			}
			entries, err := os.ReadDir(filepath.Join(rt.Dir, "bundles"))
			require.NoError(t, err)
			require.Empty(t, entries, "the bundle is removed")
			_, err = net.DialTimeout("tcp", url[len("http://"):len(url)-len("/healthz")], time.Second)
			require.Error(t, err, "the container is gone")
		})
	}
}
