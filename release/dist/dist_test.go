package dist_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/release/dist"
)

func TestArchiveName(t *testing.T) {
	require.Equal(t, "paved_1.2.3_linux_amd64.tar.gz", dist.ArchiveName("paved", "v1.2.3", "linux", "amd64"))
	require.Equal(t, "paved_2.0.0-rc.1_darwin_arm64.tar.gz", dist.ArchiveName("paved", "2.0.0-rc.1", "darwin", "arm64"))
}

func TestArchiveIsReproducible(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a, err := dist.Archive("paved", []byte("binary"), at)
	require.NoError(t, err)
	b, err := dist.Archive("paved", []byte("binary"), at.In(time.FixedZone("x", 3600)))
	require.NoError(t, err)
	require.Equal(t, a, b, "the same binary gives the same bytes")

	zr, err := gzip.NewReader(bytes.NewReader(a))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	require.NoError(t, err)
	require.Equal(t, "paved", h.Name)
	require.Equal(t, int64(0o755), h.Mode)
	require.True(t, h.ModTime.Equal(at))
	data, err := io.ReadAll(tr)
	require.NoError(t, err)
	require.Equal(t, "binary", string(data))
	_, err = tr.Next()
	require.ErrorIs(t, err, io.EOF, "one file")
}

func TestWrite(t *testing.T) {
	ctx := context.Background()
	keys, err := sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	signer := func(ctx context.Context, sums []byte) ([]byte, error) {
		return sign.SignBlob(ctx, sums, sign.WithKey(keys.PrivateKey), sign.WithPassword(func() ([]byte, error) { return []byte("pw"), nil }))
	}
	dir := filepath.Join(t.TempDir(), "v1.2.3")
	files := []dist.File{{Name: "paved_1.2.3_linux_amd64.tar.gz", Data: []byte("amd64")}, {Name: "paved_1.2.3_linux_amd64.spdx.json", Data: []byte("{}")}}
	rel, err := dist.Write(ctx, dir, files, signer)
	require.NoError(t, err)
	require.Equal(t, []string{
		filepath.Join(dir, "paved_1.2.3_linux_amd64.tar.gz"), filepath.Join(dir, "paved_1.2.3_linux_amd64.spdx.json"),
		filepath.Join(dir, dist.SumsFile), filepath.Join(dir, dist.SigFile),
	}, rel.Files)

	sums, err := os.ReadFile(filepath.Join(dir, dist.SumsFile))
	require.NoError(t, err)
	a, j := sha256.Sum256([]byte("amd64")), sha256.Sum256([]byte("{}"))
	require.Equal(t, hex.EncodeToString(a[:])+"  paved_1.2.3_linux_amd64.tar.gz\n"+hex.EncodeToString(j[:])+"  paved_1.2.3_linux_amd64.spdx.json\n", string(sums))
	s := sha256.Sum256(sums)
	require.Equal(t, hex.EncodeToString(s[:]), rel.SumsSHA256)
	sig, err := os.ReadFile(filepath.Join(dir, dist.SigFile))
	require.NoError(t, err)
	require.NoError(t, sign.VerifyBlob(ctx, sums, sig, keys.PublicKey))
}

func TestWriteWritesNothingWhenSigningFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "v1.2.3")
	_, err := dist.Write(context.Background(), dir, []dist.File{{Name: "a", Data: []byte("a")}}, func(context.Context, []byte) ([]byte, error) {
		return nil, errors.New("the KMS is down")
	})
	require.ErrorContains(t, err, "the KMS is down")
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
}
