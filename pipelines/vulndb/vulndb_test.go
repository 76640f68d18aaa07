package vulndb_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
	"time"

	trivydb "github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

func buildFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	require.NoError(t, vulndb.BuildFixture(dir, time.Now()))
	return dir
}

func TestBuildFixtureHasRealAdvisories(t *testing.T) {
	dir := buildFixture(t)
	h, err := vulndb.Open(dir)
	require.NoError(t, err)
	defer h.Close()
	require.Equal(t, vulndb.SchemaVersion, h.Metadata.Version)

	v, err := trivydb.Config{}.GetVulnerability("CVE-2022-32149")
	require.NoError(t, err)
	require.Equal(t, "HIGH", v.Severity)

	adv, err := trivydb.Config{}.GetAdvisories("go::GitHub Security Advisory Go", "golang.org/x/text")
	require.NoError(t, err)
	require.Len(t, adv, 1)
	require.Equal(t, []string{"0.3.8"}, adv[0].PatchedVersions)

	deb, err := trivydb.Config{}.GetAdvisories("debian 12", "glibc")
	require.NoError(t, err)
	require.Equal(t, "2.36-9+deb12u3", deb[0].FixedVersion)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "only trivy.db and metadata.json remain")
}

func TestOpenRefusesBadDatabases(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		want  error
	}{
		{"missing", func(t *testing.T) string { return t.TempDir() }, vulndb.ErrMissing},
		{"stale", func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "db")
			require.NoError(t, vulndb.BuildFixture(dir, now.Add(-30*24*time.Hour)))
			return dir
		}, vulndb.ErrStale},
		{"corrupt db file", func(t *testing.T) string {
			dir := buildFixture(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, vulndb.DBFile), []byte("not a bolt file"), 0o644))
			return dir
		}, vulndb.ErrCorrupt},
		{"corrupt metadata", func(t *testing.T) string {
			dir := buildFixture(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, vulndb.MetadataFile), []byte("{"), 0o644))
			return dir
		}, vulndb.ErrCorrupt},
		{"empty bolt db", func(t *testing.T) string {
			dir := buildFixture(t)
			p := filepath.Join(dir, vulndb.DBFile)
			require.NoError(t, os.Remove(p))
			db, err := bolt.Open(p, 0o600, nil)
			require.NoError(t, err)
			require.NoError(t, db.Close())
			return dir
		}, vulndb.ErrCorrupt},
		{"old schema", func(t *testing.T) string {
			dir := buildFixture(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, vulndb.MetadataFile), []byte(`{"Version":1,"UpdatedAt":"`+now.UTC().Format(time.RFC3339)+`"}`), 0o644))
			return dir
		}, vulndb.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t)
			_, err := vulndb.Open(dir)
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.Contains(t, err.Error(), dir)
			require.Contains(t, err.Error(), "paved db update")
		})
	}
}

func TestImport(t *testing.T) {
	src := buildFixture(t)
	tests := []struct {
		name    string
		file    func(t *testing.T) string
		wantErr error
	}{
		{"db with metadata beside it", func(t *testing.T) string { return filepath.Join(src, vulndb.DBFile) }, nil},
		{"tar.gz as published by Trivy", func(t *testing.T) string { return writeTarGz(t, src) }, nil},
		{"db without metadata", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), vulndb.DBFile)
			data, err := os.ReadFile(filepath.Join(src, vulndb.DBFile))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(p, data, 0o644))
			return p
		}, vulndb.ErrMissing},
		{"garbage with metadata", func(t *testing.T) string {
			d := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(d, "x.db"), []byte("garbage"), 0o644))
			data, err := os.ReadFile(filepath.Join(src, vulndb.MetadataFile))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(d, vulndb.MetadataFile), data, 0o644))
			return filepath.Join(d, "x.db")
		}, vulndb.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "db")
			err := vulndb.Import(dst, tt.file(t))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Equal(t, failure.BadInput, failure.KindOf(err))
				entries, _ := os.ReadDir(dst)
				require.Empty(t, entries, "nothing written on bad input")
				return
			}
			require.NoError(t, err)
			h, err := vulndb.Open(dst)
			require.NoError(t, err)
			require.NoError(t, h.Close())
		})
	}
}

func writeTarGz(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "db.tar.gz")
	f, err := os.Create(p)
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, name := range []string{vulndb.MetadataFile, vulndb.DBFile} {
		data, err := os.ReadFile(filepath.Join(src, name))
		require.NoError(t, err)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err = tw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return p
}
