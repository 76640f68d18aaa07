package publish

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
)

// password is the test key's password; no output may contain it.
const password = "s3cret-cosign-pw"

const tinyMain = `package main

import "fmt"

var version = "dev"

func main() { fmt.Println("tiny", version) }
`

const notes = `# Changelog

## [Unreleased]

### Added
- A release verb.

### Fixed
- A fix.

## [0.1.0] - 2026-10-01

### Added
- The first release.

[Unreleased]: https://example.com/tiny/compare/v0.1.0...HEAD
[0.1.0]: https://example.com/tiny/releases/tag/v0.1.0
`

// pinnedAction has the values a release pins in a wrapper.
const pinnedAction = `inputs:
  paved-version:
    default: v0.1.0 # paved-release: version
  release-public-key:
    default: "" # paved-release: public-key
runs:
  env:
    PAVED_PINNED_SHA256SUMS: "" # paved-release: sha256sums
`

// fixture is a repository to release, a registry and a key pair.
type fixture struct {
	dir, registry string
	repo          *git.Repository
	head          plumbing.Hash
	keys          *sign.KeyPair
	candidate     string
	// baseline is the report's baseline: the previous release, or nil.
	baseline any
}

// newFixture makes a git repository holding a tiny Go main package and a
// CHANGELOG with Added notes after the tag v0.1.0, a passing candidate
// report of v0.2.0-rc.1 at HEAD, a registry and a key pair.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	files := map[string]string{
		"go.mod":            "module example.com/tiny\n\ngo 1.22\n",
		"cmd/tiny/main.go":  tinyMain,
		"CHANGELOG.md":      notes,
		"README.md":         "tiny\n",
		".gitignore":        "/out/\n",
		"docs/unchanged.md": "x\n",
		"release/apps.yaml": "apps:\n  - name: go-api\n",
		// The wrappers the release commit pins (ci/pins).
		"ci/github/action.yml":                    pinnedAction,
		".github/workflows/build-scan-deploy.yml": "jobs:\n  x:\n    steps:\n      - uses: paved-dev/paved/ci/github@v0.1.0\n",
	}
	for name, data := range files {
		writeFile(t, filepath.Join(f.dir, name), data)
	}
	r, err := git.PlainInitWithOptions(f.dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	require.NoError(t, err)
	cfg, err := r.Config()
	require.NoError(t, err)
	cfg.User.Name, cfg.User.Email = "Release Bot", "release@example.com"
	require.NoError(t, r.SetConfig(cfg))
	f.repo = r
	f.commit(t, "feat: tiny")
	_, err = r.CreateTag("v0.1.0", f.head, &git.CreateTagOptions{Tagger: sig(), Message: "v0.1.0"})
	require.NoError(t, err)
	f.baseline = map[string]string{"version": "v0.1.0", "commit": f.head.String()}
	// An rc tag of a later version must not count as the previous release.
	_, err = r.CreateTag("v0.9.0-rc.1", f.head, nil)
	require.NoError(t, err)
	writeFile(t, filepath.Join(f.dir, "README.md"), "tiny, with a release verb\n")
	f.commit(t, "feat: a release verb")

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	f.registry = strings.TrimPrefix(srv.URL, "http://")
	f.keys, err = sign.GenerateKeys(t.TempDir(), []byte(password))
	require.NoError(t, err)
	f.candidate = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")
	return f
}

func sig() *object.Signature {
	return &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)}
}

func (f *fixture) commit(t *testing.T, msg string) {
	t.Helper()
	wt, err := f.repo.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.AddWithOptions(&git.AddOptions{All: true}))
	f.head, err = wt.Commit(msg, &git.CommitOptions{Author: sig()})
	require.NoError(t, err)
}

// report writes a candidate report outside the repository, with the
// hashes of the apps file and changelog in the work tree. Each extra field
// is set to true, or removed when it starts with "-".
func (f *fixture) report(t *testing.T, version, commit, verdict string, extra ...string) string {
	t.Helper()
	fields := map[string]any{"schemaVersion": ReportSchema, "version": version, "commit": commit, "verdict": verdict,
		"apps": []string{"go-api"}, "partial": false, "baseline": f.baseline,
		"appsSHA256": f.sha256(t, AppsFile), "changelogSHA256": f.sha256(t, ChangelogFile)}
	for _, k := range extra {
		if strings.HasPrefix(k, "-") {
			delete(fields, k[1:])
			continue
		}
		fields[k] = true
	}
	data, err := json.Marshal(fields)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "candidate.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func (f *fixture) sha256(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.dir, file))
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// options publishes the tiny main package, for both platforms.
func (f *fixture) options() Options {
	return Options{
		Dir:             f.dir,
		CandidateReport: f.candidate,
		Main:            "./cmd/tiny",
		VersionVar:      "main.version",
		GoEnv:           []string{},
		Platforms:       DefaultPlatforms,
		Repository:      f.registry + "/paved-dev/tiny",
		Key:             f.keys.PrivateKey,
		PublicKey:       f.keys.PublicKey,
		Password:        func() ([]byte, error) { return []byte(password), nil },
		Now:             func() time.Time { return time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) },
	}
}

// snapshot is what a refused or failed publish must leave as it was.
type snapshot struct {
	head      plumbing.Hash
	changelog string
	tags      map[string]plumbing.Hash
}

func (f *fixture) snapshot(t *testing.T) snapshot {
	t.Helper()
	s := snapshot{tags: map[string]plumbing.Hash{}}
	head, err := f.repo.Head()
	require.NoError(t, err)
	s.head = head.Hash()
	data, err := os.ReadFile(filepath.Join(f.dir, "CHANGELOG.md"))
	require.NoError(t, err)
	s.changelog = string(data)
	tags, err := f.repo.Tags()
	require.NoError(t, err)
	require.NoError(t, tags.ForEach(func(r *plumbing.Reference) error {
		s.tags[r.Name().Short()] = r.Hash()
		return nil
	}))
	return s
}

// requireUnchanged checks that HEAD, the changelog and the tags are as in
// before, and that the tree is clean apart from dirty (the files a case
// made dirty on purpose).
func (f *fixture) requireUnchanged(t *testing.T, before snapshot, dirty ...string) {
	t.Helper()
	after := f.snapshot(t)
	require.Equal(t, before.head, after.head, "HEAD moved")
	require.Equal(t, before.changelog, after.changelog, "CHANGELOG.md edited")
	require.Equal(t, before.tags, after.tags, "tags changed")
	wt, err := f.repo.Worktree()
	require.NoError(t, err)
	st, err := wt.Status()
	require.NoError(t, err)
	var changed []string
	for file, s := range st {
		if s.Staging != git.Unmodified || s.Worktree != git.Unmodified {
			changed = append(changed, file)
		}
	}
	require.ElementsMatch(t, dirty, changed)
}

// requireNothingPushed checks that the registry holds no repository.
func (f *fixture) requireNothingPushed(t *testing.T) {
	t.Helper()
	resp, err := http.Get("http://" + f.registry + "/v2/_catalog")
	require.NoError(t, err)
	defer resp.Body.Close()
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cat))
	require.Empty(t, cat.Repositories, "something was pushed")
}

// addRemote makes a bare repository and adds it as remote "origin".
func (f *fixture) addRemote(t *testing.T) *git.Repository {
	t.Helper()
	dir := t.TempDir()
	bare, err := git.PlainInit(dir, true)
	require.NoError(t, err)
	_, err = f.repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{dir}})
	require.NoError(t, err)
	return bare
}

// imageTag returns the digest the registry's tag of the tiny repository
// points at, and whether it exists.
func (f *fixture) imageTag(t *testing.T, tag string) (string, bool) {
	t.Helper()
	ref, err := name.NewTag(f.registry + "/paved-dev/tiny:" + tag)
	require.NoError(t, err)
	desc, err := remote.Head(ref)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return "", false
	}
	require.NoError(t, err)
	return desc.Digest.String(), true
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}
