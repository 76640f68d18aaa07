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

	"github.com/google/go-containerregistry/pkg/registry"
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
