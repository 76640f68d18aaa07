package publish

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/modpath"
)

// majorMain is a paved-shaped main: its version lives in a package of its
// own module, so the -X stamp and the import both name the module path.
const majorMain = `package main

import (
	"fmt"
	"os"

	"example.com/tiny/internal/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(version.Version)
		return
	}
	fmt.Println("paved", version.Version)
}
`

const majorNotes = `# Changelog

## [Unreleased]

### Removed
- The old flag.

## [1.4.0] - 2026-10-20

### Added
- The last v1 feature.
`

// TestPublishMajor cuts v2.0.0 of a module released as v1.4.0: refused with
// nothing written until the module path moves to …/v2 (semantic import
// versioning); then published from the moved tree, tagged at a commit whose
// go.mod says …/v2, its archive installed and verified by the wrappers'
// installer (ci/install.sh) from the release files, and a service's v1.4.0
// pins moved to v2.0.0 by the campaign's rewrite.
func TestPublishMajor(t *testing.T) {
	f := newFixture(t)
	writeFile(t, filepath.Join(f.dir, "cmd/paved/main.go"), majorMain)
	writeFile(t, filepath.Join(f.dir, "internal/version/version.go"), "package version\n\nvar Version = \"dev\"\n")
	writeFile(t, filepath.Join(f.dir, ChangelogFile), strings.Replace(majorNotes, "### Removed\n- The old flag.\n\n", "", 1))
	f.commit(t, "feat: the last v1 feature")
	_, err := f.repo.CreateTag("v1.4.0", f.head, &git.CreateTagOptions{Tagger: sig(), Message: "v1.4.0"})
	require.NoError(t, err)
	f.baseline = map[string]string{"version": "v1.4.0", "commit": f.head.String()}
	writeFile(t, filepath.Join(f.dir, ChangelogFile), majorNotes)
	f.commit(t, "feat!: remove the old flag")

	o := f.options()
	o.Main, o.Platforms, o.OutDir = "./cmd/paved", []v1.Platform{{OS: "linux", Architecture: runtime.GOARCH}}, t.TempDir()
	o.CandidateReport = f.report(t, "v2.0.0-rc.1", f.head.String(), "pass")
	before := f.snapshot(t)
	_, err = Publish(t.Context(), o)
	require.ErrorIs(t, err, modpath.ErrPath)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorContains(t, err, "v2.0.0 is released at example.com/tiny/v2")
	f.requireUnchanged(t, before)
	f.requireNothingPushed(t)

	moved, err := modpath.Move(f.dir, 2)
	require.NoError(t, err)
	for name, data := range moved {
		writeFile(t, filepath.Join(f.dir, name), string(data))
	}
	f.commit(t, "refactor!: module path example.com/tiny/v2")
	o.CandidateReport = f.report(t, "v2.0.0-rc.1", f.head.String(), "pass")
	o.VersionVar = "example.com/tiny/v2/internal/version.Version"
	res, err := Publish(t.Context(), o)
	require.NoError(t, err)
	require.Equal(t, "v2.0.0", res.Version)
	require.Equal(t, "v1.4.0", res.Previous)
	require.Contains(t, fileAtTag(t, f.repo, "v2.0.0", "go.mod"), "module example.com/tiny/v2\n")
	require.Contains(t, fileAtTag(t, f.repo, "v2.0.0", "ci/github/action.yml"), "default: v2.0.0 # paved-release: version")

	// The wrappers' installer takes the release as a service's CI would.
	srv := httptest.NewServer(http.FileServer(http.Dir(o.OutDir)))
	t.Cleanup(srv.Close)
	key, err := os.ReadFile(f.keys.PublicKey)
	require.NoError(t, err)
	cmd := exec.Command("sh", "../../ci/install.sh")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PAVED_VERSION=v2.0.0", "PAVED_RELEASE_URL=" + srv.URL,
		"PAVED_RELEASE_PUBLIC_KEY=" + string(key), "PAVED_PINNED_SHA256SUMS=v2.0.0 " + res.SumsSHA256, "PAVED_INSTALL_DIR=" + t.TempDir()}
	out, err := cmd.Output()
	require.NoError(t, err, "%s", exitStderr(err))
	got, err := exec.Command(filepath.Join(strings.TrimSpace(string(out)), "paved"), "version").Output()
	require.NoError(t, err)
	require.Equal(t, "v2.0.0\n", string(got))

	// A service pinned at v1.4.0 moves to v2.0.0: its pins are git refs of
	// the repository, which the major version does not change.
	target := rewrite.Target{Kind: pin.Paved, To: "v2.0.0"}
	for file, in := range map[string]string{
		".github/workflows/ci.yml": "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v1.4.0\n",
		".gitlab-ci.yml":           "include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@v1.4.0\n",
		"dagger.json":              "{\"dependencies\": [{\"name\": \"paved\", \"source\": \"github.com/paved-dev/paved@v1.4.0\"}]}\n",
	} {
		out, edits, err := rewrite.File(file, []byte(in), target)
		require.NoError(t, err, file)
		require.Len(t, edits, 1, file)
		require.Equal(t, strings.Replace(in, "v1.4.0", "v2.0.0", 1), string(out), file)
	}
}

func fileAtTag(t *testing.T, r *git.Repository, tag, path string) string {
	t.Helper()
	ref, err := r.Tag(tag)
	require.NoError(t, err)
	obj, err := r.TagObject(ref.Hash())
	require.NoError(t, err)
	c, err := obj.Commit()
	require.NoError(t, err)
	file, err := c.File(path)
	require.NoError(t, err)
	data, err := file.Contents()
	require.NoError(t, err)
	return data
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
