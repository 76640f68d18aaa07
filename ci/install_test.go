package ci

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/release/dist"
)

var update = flag.Bool("update", false, "write ci/install.sh into the GitLab component")

const installScript = "install.sh"

// The heredoc in the GitLab component that carries ci/install.sh.
const (
	heredocStart = `      cat >"$CI_PROJECT_DIR/.paved-install.sh" <<'PAVED_INSTALL_SH'`
	heredocEnd   = `      PAVED_INSTALL_SH`
)

// TestGitLabComponentCarriesInstallScript: a component is one file, so it
// carries ci/install.sh in a heredoc; both must be the same script, byte for
// byte (go test ./ci -update writes it in).
func TestGitLabComponentCarriesInstallScript(t *testing.T) {
	script, err := os.ReadFile(installScript)
	require.NoError(t, err)
	data, err := os.ReadFile(gitlabComponent)
	require.NoError(t, err)
	start := bytes.Index(data, []byte(heredocStart+"\n"))
	end := bytes.Index(data, []byte("\n"+heredocEnd+"\n"))
	require.True(t, start >= 0 && end > start, "%s has no heredoc for %s", gitlabComponent, installScript)
	var embedded strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimSuffix(string(script), "\n"), "\n") {
		if strings.TrimSpace(line) != "" {
			embedded.WriteString("      ")
		}
		embedded.WriteString(line)
	}
	want := string(data[:start]) + heredocStart + "\n" + embedded.String() + "\n" + heredocEnd + string(data[end+len(heredocEnd)+1:])
	if *update {
		require.NoError(t, os.WriteFile(gitlabComponent, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, string(data), "the GitLab component's copy of ci/install.sh differs: go test ./ci -run TestGitLabComponentCarriesInstallScript -update")

	// What GitLab runs is the YAML value: the script itself.
	body := readYAML(t, gitlabComponent)[1]
	job := body[".$[[ inputs.job-name ]]"].(map[string]any)
	first := job["before_script"].([]any)[0].(string)
	lines := strings.SplitN(first, "\n", 2)
	require.Equal(t, strings.TrimSpace(heredocStart), lines[0])
	require.Equal(t, string(script)+strings.TrimSpace(heredocEnd)+"\n", lines[1])
}

// release is a release of a stand-in paved served over HTTP, as publish
// writes it (release/dist), for the installer's tests.
type release struct {
	url, version, dir, archive, publicKey string
	sumsSHA256                            string
}

// newRelease writes v1.2.3 of a "paved" that prints its version (the only
// thing the installer runs), for this machine's platform, signed with a new
// key, and serves it.
func newRelease(t *testing.T, binaryVersion string) *release {
	t.Helper()
	return serveRelease(t, "v1.2.3", []byte("#!/bin/sh\necho "+binaryVersion+"\n"))
}

// serveRelease writes version's release of the paved binary bin for this
// machine's platform, as publish writes it (release/dist), signed with a new
// key, and serves it over HTTP.
func serveRelease(t testing.TB, version string, bin []byte) *release {
	t.Helper()
	ctx := context.Background()
	keys, err := sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	root := t.TempDir()
	r := &release{version: version, dir: filepath.Join(root, version), publicKey: keys.PublicKey}
	r.archive = dist.ArchiveName("paved", r.version, runtime.GOOS, runtime.GOARCH)
	tgz, err := dist.Archive("paved", bin, time.Unix(0, 0))
	require.NoError(t, err)
	signer := func(ctx context.Context, sums []byte) ([]byte, error) {
		return sign.SignBlob(ctx, sums, sign.WithKey(keys.PrivateKey), sign.WithPassword(func() ([]byte, error) { return []byte("pw"), nil }))
	}
	rel, err := dist.Write(ctx, r.dir, []dist.File{{Name: r.archive, Data: tgz}}, signer)
	require.NoError(t, err)
	r.sumsSHA256 = rel.SumsSHA256
	srv := httptest.NewServer(http.FileServer(http.Dir(root)))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

type installResult struct {
	code           int
	stdout, stderr string
	cpu            time.Duration // user and system time of the script and what it ran
}

func install(t testing.TB, env ...string) installResult {
	t.Helper()
	cmd := exec.Command("sh", installScript)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := installResult{stdout: strings.TrimSpace(stdout.String()), stderr: stderr.String()}
	if cmd.ProcessState != nil {
		res.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return res
}

func (r *release) env(t testing.TB, cache string) []string {
	key, err := os.ReadFile(r.publicKey)
	require.NoError(t, err)
	return []string{"PAVED_VERSION=" + r.version, "PAVED_RELEASE_URL=" + r.url, "PAVED_RELEASE_PUBLIC_KEY=" + string(key), "PAVED_INSTALL_DIR=" + cache}
}

func TestInstall(t *testing.T) {
	r := newRelease(t, "v1.2.3")
	cache := t.TempDir()
	res := install(t, append(r.env(t, cache), "PAVED_PINNED_SHA256SUMS=v1.2.3 "+r.sumsSHA256)...)
	require.Equal(t, 0, res.code, res.stderr)
	require.Contains(t, res.stderr, "downloaded from "+r.url)
	out, err := exec.Command(filepath.Join(res.stdout, "paved"), "version").Output()
	require.NoError(t, err)
	require.Equal(t, "v1.2.3\n", string(out))

	// Cached: the release server is gone, the install still verifies and works.
	r.url = "http://127.0.0.1:1"
	res = install(t, r.env(t, cache)...)
	require.Equal(t, 0, res.code, res.stderr)
	require.Contains(t, res.stderr, "from the cache")

	// A cached archive with one byte changed is refused like a download.
	archive := filepath.Join(cache, r.version, runtime.GOOS+"-"+runtime.GOARCH, r.archive)
	flipByte(t, archive)
	res = install(t, r.env(t, cache)...)
	require.Equal(t, 3, res.code, res.stderr)
	require.Contains(t, res.stderr, "checksum mismatch for "+r.archive)
}

func TestInstallRefuses(t *testing.T) {
	otherKey, err := sign.GenerateKeys(t.TempDir(), []byte("pw"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		binary  string // the version the packed binary prints
		change  func(t *testing.T, r *release, env []string) []string
		code    int
		message string
	}{
		{name: "one byte changed in the archive", code: 3, message: "checksum mismatch for paved_1.2.3_",
			change: func(t *testing.T, r *release, env []string) []string {
				flipByte(t, filepath.Join(r.dir, r.archive))
				return env
			}},
		{name: "SHA256SUMS changed", code: 3, message: "does not verify with the release public key",
			change: func(t *testing.T, r *release, env []string) []string {
				appendFile(t, filepath.Join(r.dir, dist.SumsFile), "0000  extra\n")
				return env
			}},
		{name: "another key", code: 3, message: "does not verify with the release public key",
			change: func(t *testing.T, r *release, env []string) []string {
				key, err := os.ReadFile(otherKey.PublicKey)
				require.NoError(t, err)
				return append(env, "PAVED_RELEASE_PUBLIC_KEY="+string(key))
			}},
		{name: "another release than the pin", code: 3, message: "but this wrapper pins 0123",
			change: func(t *testing.T, r *release, env []string) []string {
				return append(env, "PAVED_PINNED_SHA256SUMS=v1.2.3 0123")
			}},
		{name: "a binary of another version", binary: "v1.2.4", code: 3, message: "holds paved v1.2.4, not v1.2.3"},
		{name: "a version that is not released", code: 4, message: "downloading ", /* …/v9.9.9/paved_… failed */
			change: func(t *testing.T, r *release, env []string) []string { return append(env, "PAVED_VERSION=v9.9.9") }},
		{name: "a branch", code: 2, message: "version main is not vMAJOR.MINOR.PATCH",
			change: func(t *testing.T, r *release, env []string) []string { return append(env, "PAVED_VERSION=main") }},
		{name: "no key", code: 2, message: "no release public key",
			change: func(t *testing.T, r *release, env []string) []string { return append(env, "PAVED_RELEASE_PUBLIC_KEY=") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRelease(t, orDefault(tc.binary, "v1.2.3"))
			cache := t.TempDir()
			env := r.env(t, cache)
			if tc.change != nil {
				env = tc.change(t, r, env)
			}
			res := install(t, env...)
			require.Equal(t, tc.code, res.code, res.stderr)
			require.Contains(t, res.stderr, tc.message)
			require.Empty(t, res.stdout)
			entries, err := os.ReadDir(cache)
			require.NoError(t, err)
			require.Empty(t, entries, "nothing is installed or cached")
		})
	}
}

// TestInstallTakesTheOneLineKey: the key as a YAML input carries it, the
// base64 body of the PEM on one line.
func TestInstallTakesTheOneLineKey(t *testing.T) {
	r := newRelease(t, "v1.2.3")
	pemKey, err := os.ReadFile(r.publicKey)
	require.NoError(t, err)
	body := strings.Join(strings.Split(strings.TrimSpace(string(pemKey)), "\n")[1:len(strings.Split(strings.TrimSpace(string(pemKey)), "\n"))-1], "")
	res := install(t, append(r.env(t, t.TempDir()), "PAVED_RELEASE_PUBLIC_KEY="+body)...)
	require.Equal(t, 0, res.code, res.stderr)
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(s)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
