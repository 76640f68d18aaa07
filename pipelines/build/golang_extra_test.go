package build_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
)

// copyService copies go-api's regular files into a new directory, so a
// test may add files to it.
func copyService(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(goAPI)
	require.NoError(t, err)
	for _, e := range entries {
		if e.Type().IsRegular() {
			data, err := os.ReadFile(filepath.Join(goAPI, e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
		}
	}
	return dir
}

// TestGoExtraDirectories: an extraFiles entry that is a directory brings
// its whole tree (a web service's templates/ and static/), and the working
// directory and user are the service's.
func TestGoExtraDirectories(t *testing.T) {
	dir := copyService(t)
	for name, content := range map[string]string{"templates/index.html": "<h1>hi</h1>\n", "templates/mail/welcome.txt": "welcome\n", "static/app.css": "body{}\n"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	res, err := build.Go(dir, goOptions(staticBase(t),
		build.WithExtraFiles(build.ExtraFile{Src: "templates"}, build.ExtraFile{Src: "static", Dst: "/srv/static"}),
		build.WithWorkDir("/app"), build.WithUser("1000:1000"))...).Build(context.Background())
	require.NoError(t, err)
	files := imageFiles(t, res.Image)
	require.Equal(t, "<h1>hi</h1>\n", string(files["app/templates/index.html"]))
	require.Equal(t, "welcome\n", string(files["app/templates/mail/welcome.txt"]))
	require.Equal(t, "body{}\n", string(files["srv/static/app.css"]))
	cfg, err := res.Image.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "/app", cfg.Config.WorkingDir)
	require.Equal(t, "1000:1000", cfg.Config.User)

	// A link in the directory that leaves the service is refused.
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "templates", "passwd")))
	_, err = build.Go(dir, goOptions(staticBase(t), build.WithExtraFiles(build.ExtraFile{Src: "templates"}))...).Build(context.Background())
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
}
