package vulndb_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/vulndb"
)

// countingTransport counts the requests that went through it.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestUpdateUsesGivenRepositoryAndTransport(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	dir := buildFixture(t)
	before, err := os.ReadFile(filepath.Join(dir, vulndb.MetadataFile))
	require.NoError(t, err)

	rt := &countingTransport{}
	repo := strings.TrimPrefix(srv.URL, "http://") + "/mirror/trivy-db:2"
	_, err = vulndb.Update(context.Background(), dir, vulndb.WithRepositories(repo), vulndb.WithTransport(rt))
	require.Error(t, err, "the mirror has no database")
	require.Contains(t, err.Error(), repo)
	require.Positive(t, rt.n.Load(), "Trivy's download went through the given transport")

	after, err := os.ReadFile(filepath.Join(dir, vulndb.MetadataFile))
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "a failed update leaves the database as it was")

	_, err = vulndb.Update(context.Background(), dir, vulndb.WithRepositories("Not A Reference"))
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// TestUpdateFromAMirror: the fixture database pushed as Trivy's artifact
// to a registry is what paved db update downloads from it.
func TestUpdateFromAMirror(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	src := buildFixture(t)
	art, err := vulndb.Artifact(src)
	require.NoError(t, err)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/mirror/trivy-db:2"
	ref, err := name.ParseReference(repo)
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, art))

	dir := t.TempDir()
	meta, err := vulndb.Update(context.Background(), dir, vulndb.WithRepositories(repo))
	require.NoError(t, err)
	want, err := vulndb.Check(src, -1, time.Now())
	require.NoError(t, err)
	require.Equal(t, want.UpdatedAt, meta.UpdatedAt)
	for _, f := range []string{vulndb.DBFile, vulndb.MetadataFile} {
		require.FileExists(t, filepath.Join(dir, f))
	}

	_, err = vulndb.Artifact(t.TempDir())
	require.ErrorIs(t, err, vulndb.ErrMissing)
}
