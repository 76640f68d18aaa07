package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/registry"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/release/publish"
)

const releaseSecret = "pw-must-not-leak-7f3a"

// releaseRepo makes a repository with a tiny Go main package, a v0.1.0 tag
// and Added notes, and returns it with its HEAD and a key pair.
func releaseRepo(t *testing.T) (string, string, *sign.KeyPair) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":           "module example.com/tiny\n\ngo 1.22\n",
		"cmd/tiny/main.go": "package main\n\nfunc main() {}\n",
		"CHANGELOG.md":     "# Changelog\n\n## [Unreleased]\n\n### Added\n- A verb.\n\n## [0.1.0] - 2026-10-01\n\n### Added\n- First.\n",
		publish.AppsFile:   "apps: []\n",
	}
	for name, data := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	require.NoError(t, err)
	cfg, err := r.Config()
	require.NoError(t, err)
	cfg.User.Name, cfg.User.Email = "Release Bot", "release@example.com"
	require.NoError(t, r.SetConfig(cfg))
	wt, err := r.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.AddWithOptions(&git.AddOptions{All: true}))
	who := &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	head, err := wt.Commit("feat: tiny", &git.CommitOptions{Author: who})
	require.NoError(t, err)
	_, err = r.CreateTag("v0.1.0", head, &git.CreateTagOptions{Tagger: who, Message: "v0.1.0"})
	require.NoError(t, err)
	keys, err := sign.GenerateKeys(t.TempDir(), []byte(releaseSecret))
	require.NoError(t, err)
	return dir, head.String(), keys
}

func candidateReport(t *testing.T, dir, commit, verdict string) string {
	t.Helper()
	sum := func(file string) string {
		data, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		s := sha256.Sum256(data)
		return hex.EncodeToString(s[:])
	}
	data, err := json.Marshal(map[string]any{"schemaVersion": publish.ReportSchema,
		"version": "v0.2.0-rc.1", "commit": commit, "dirty": false, "verdict": verdict, "partial": false,
		"appsSHA256": sum(publish.AppsFile), "changelogSHA256": sum(publish.ChangelogFile),
		"baseline": map[string]string{"version": "v0.1.0", "commit": commit}})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "report.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func TestReleasePublishCLI(t *testing.T) {
	dir, head, keys := releaseRepo(t)
	t.Setenv("COSIGN_PASSWORD", releaseSecret)
	regDir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"release", "publish", "--repo", dir,
		"--candidate-report", candidateReport(t, dir, head, "pass"), "--main", "./cmd/tiny", "--platform", "linux/amd64",
		"--key", keys.PrivateKey, "--registry-dir", regDir, "--out", "-"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	out := stdout.String()
	require.Contains(t, out, "released v0.2.0, after v0.1.0: a minor release (Unreleased has Added)")
	require.Contains(t, out, "(signed, SBOM attested, verified)")
	require.Contains(t, out, "registry   embedded, data in "+regDir)
	require.Contains(t, out, "tag        v0.2.0 at commit ")
	require.NotContains(t, out+stderr.String(), releaseSecret)
	r, err := git.PlainOpen(dir)
	require.NoError(t, err)
	_, err = r.Tag("v0.2.0")
	require.NoError(t, err)
	require.DirExists(t, filepath.Join(regDir, "blobs"))
}

func TestReleasePublishCLIExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(t *testing.T, dir, head string) []string
		prep func(t *testing.T, dir string)
		code int
		want string
	}{
		{"missing report", func(_ *testing.T, dir, _ string) []string {
			return []string{"--candidate-report", filepath.Join(dir, "none.json")}
		}, nil, 2, "does not exist"},
		{"candidate failed", func(t *testing.T, dir, head string) []string {
			return []string{"--candidate-report", candidateReport(t, dir, head, "fail")}
		}, nil, 3, "did not pass"},
		{"dirty tree", func(t *testing.T, dir, head string) []string {
			return []string{"--candidate-report", candidateReport(t, dir, head, "pass")}
		}, func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte("edited\n"), 0o644))
		}, 2, "not clean (CHANGELOG.md)"},
		{"disagreeing version", func(t *testing.T, dir, head string) []string {
			return []string{"--candidate-report", candidateReport(t, dir, head, "pass"), "--version", "v1.0.1"}
		}, nil, 2, "the change notes call for a minor release"},
		{"not semver", func(t *testing.T, dir, head string) []string {
			return []string{"--candidate-report", candidateReport(t, dir, head, "pass"), "--version", "next"}
		}, nil, 2, "not semver"},
		{"wrong key password", func(t *testing.T, dir, head string) []string {
			return []string{"--candidate-report", candidateReport(t, dir, head, "pass"), "--platform", "linux/amd64", "--base", ""}
		}, func(t *testing.T, _ string) { t.Setenv("COSIGN_PASSWORD", "wrong-"+releaseSecret) }, 2, "wrong password; check COSIGN_PASSWORD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, head, keys := releaseRepo(t)
			t.Setenv("COSIGN_PASSWORD", releaseSecret)
			if tc.prep != nil {
				tc.prep(t, dir)
			}
			var stdout, stderr bytes.Buffer
			regDir := t.TempDir()
			args := append([]string{"release", "publish", "--repo", dir, "--main", "./cmd/tiny", "--key", keys.PrivateKey, "--out", "-", "--registry-dir", regDir}, tc.args(t, dir, head)...)
			code := run(context.Background(), args, &stdout, &stderr)
			require.Equal(t, tc.code, code, stderr.String())
			require.Contains(t, stderr.String(), tc.want)
			require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line")
			require.NotContains(t, stdout.String()+stderr.String(), releaseSecret)
			r, err := git.PlainOpen(dir)
			require.NoError(t, err)
			_, err = r.Tag("v0.2.0")
			require.ErrorIs(t, err, git.ErrTagNotFound)
			requireNoImageTag(t, regDir, "paved-dev/paved:v0.2.0")
		})
	}
}

// requireNoImageTag checks that the embedded registry persisted in dir has
// no tag ref (REPOSITORY:TAG).
func requireNoImageTag(t *testing.T, dir, ref string) {
	t.Helper()
	h, err := registry.Handler(dir)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/" + ref)
	require.NoError(t, err)
	_, err = remote.Head(tag)
	var terr *transport.Error
	require.ErrorAs(t, err, &terr, "the registry has %s", ref)
	require.Equal(t, http.StatusNotFound, terr.StatusCode)
}
