package mirror

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/pipelines/failure"
)

func TestFetchReadsAndUpdates(t *testing.T) {
	ctx := context.Background()
	remote := fleettest.NewRepo(t, t.TempDir(), "svc", map[string]string{
		"Dockerfile":                  "FROM a:1\n",
		".github/workflows/paved.yml": "uses: paved-dev/paved/x.yml@v0.1.0\n",
		"node_modules/x/Dockerfile":   "FROM ignored\n",
		"docs/readme.md":              "hello\n",
	})
	c := New(t.TempDir())

	s, err := c.Fetch(ctx, remote.Dir, "")
	require.NoError(t, err)
	files, err := s.ReadFiles(func(p string) bool { return !strings.HasSuffix(p, ".md") })
	require.NoError(t, err)
	require.Equal(t, []File{
		{Path: ".github/workflows/paved.yml", Data: []byte("uses: paved-dev/paved/x.yml@v0.1.0\n")},
		{Path: "Dockerfile", Data: []byte("FROM a:1\n")},
	}, files)
	first := s.Commit

	again, err := c.Fetch(ctx, remote.Dir, "")
	require.NoError(t, err, "an up-to-date copy is not an error")
	require.Equal(t, first, again.Commit)

	second := remote.Commit(t, map[string]string{"Dockerfile": "FROM a:2\n"})
	s, err = c.Fetch(ctx, remote.Dir, "")
	require.NoError(t, err)
	require.Equal(t, second, s.Commit)
	data, err := s.ReadFile("Dockerfile")
	require.NoError(t, err)
	require.Equal(t, "FROM a:2\n", string(data))

	entries, err := os.ReadDir(c.dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "updates reuse the copy")
}

func TestFetchBranch(t *testing.T) {
	remote := fleettest.NewRepo(t, t.TempDir(), "svc", map[string]string{"a": "1"})
	c := New(t.TempDir())
	s, err := c.Fetch(context.Background(), remote.Dir, "main")
	require.NoError(t, err)
	data, err := s.ReadFile("a")
	require.NoError(t, err)
	require.Equal(t, "1", string(data))

	_, err = c.Fetch(context.Background(), remote.Dir, "nope")
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

func TestFetchRecoversFromACorruptCopy(t *testing.T) {
	remote := fleettest.NewRepo(t, t.TempDir(), "svc", map[string]string{"a": "1"})
	dir := t.TempDir()
	c := New(dir)
	_, err := c.Fetch(context.Background(), remote.Dir, "")
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, Key(remote.Dir), "objects")))

	s, err := c.Fetch(context.Background(), remote.Dir, "")
	require.NoError(t, err)
	data, err := s.ReadFile("a")
	require.NoError(t, err)
	require.Equal(t, "1", string(data))
}

func TestFetchErrors(t *testing.T) {
	empty := fleettest.NewRepo(t, t.TempDir(), "empty", nil)
	tests := []struct {
		name string
		url  string
		kind failure.Kind
		want string
	}{
		{"missing path", filepath.Join(t.TempDir(), "nope.git"), failure.BadInput, "check the repository URL"},
		{"empty remote", empty.Dir, failure.BadInput, "no commit yet"},
		{"refused connection", "http://user:s3cret@127.0.0.1:1/svc.git", failure.Transient, "fetching http://***@127.0.0.1:1/svc.git"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(t.TempDir()).Fetch(context.Background(), tc.url, "")
			require.Error(t, err)
			require.Equal(t, tc.kind, failure.KindOf(err), err.Error())
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestKey(t *testing.T) {
	require.Equal(t, Key("https://x/a/svc.git"), Key("https://x/a/svc.git"))
	require.NotEqual(t, Key("https://x/a/svc.git"), Key("https://x/b/svc.git"))
	require.True(t, strings.HasPrefix(Key("https://u:pw@x/a/svc.git/"), "svc-"))
	require.NotContains(t, Key("https://u:pw@x/a/pw"), ":")
}
