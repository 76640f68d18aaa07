package publish

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/ci/pins"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
	"github.com/paved-dev/paved/release/changelog"
	"github.com/paved-dev/paved/release/dist"
)

func TestPublish(t *testing.T) {
	f := newFixture(t)
	bare := f.addRemote(t)
	o := f.options()
	o.OutDir = filepath.Join(t.TempDir(), "dist")
	o.PushRemote = "origin"
	// An ignored file is not HEAD's and must not be built into the release.
	writeFile(t, filepath.Join(f.dir, ".gitignore"), "/out/\n/cmd/tiny/zz_debug.go\n")
	f.commit(t, "chore: ignore a debug file")
	writeFile(t, filepath.Join(f.dir, "cmd", "tiny", "zz_debug.go"), "package main\n\nfunc init() { version = \"from the work tree\" }\n")
	o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")

	candidate := f.head

	res, err := Publish(context.Background(), o)
	require.NoError(t, err)
	require.Equal(t, "v0.2.0", res.Version)
	require.Equal(t, "v0.1.0", res.Previous)
	require.Equal(t, "a minor release (Unreleased has Added)", res.Reason)
	require.True(t, res.Verified)
	require.Len(t, res.Platforms, 2)
	require.Contains(t, res.Base, f.registry+"/paved-dev/tiny/base@sha256:")
	tagged, ok := f.imageTag(t, "v0.2.0")
	require.True(t, ok, "the registry tag v0.2.0 exists")
	require.True(t, strings.HasSuffix(res.Image, "@"+tagged), "v0.2.0 is at %s, the release is %s", tagged, res.Image)

	// The commit moves the notes into v0.2.0 on top of the candidate commit,
	// and the annotated tag points at it.
	head, err := f.repo.Head()
	require.NoError(t, err)
	require.Equal(t, res.Commit, head.Hash().String())
	c, err := f.repo.CommitObject(head.Hash())
	require.NoError(t, err)
	require.Equal(t, "chore(release): v0.2.0", c.Message)
	require.Equal(t, []plumbing.Hash{candidate}, c.ParentHashes)
	tag, err := f.repo.TagObject(mustTag(t, f.repo, "v0.2.0"))
	require.NoError(t, err, "v0.2.0 is an annotated tag")
	require.Equal(t, head.Hash(), tag.Target)
	require.Contains(t, tag.Message, "Image: "+res.Image)
	data, err := os.ReadFile(filepath.Join(f.dir, "CHANGELOG.md"))
	require.NoError(t, err)
	want, err := changelog.Release([]byte(notes), "v0.2.0", o.Now())
	require.NoError(t, err)
	require.Equal(t, string(want), string(data))
	require.Contains(t, string(data), "## [Unreleased]\n\n## [0.2.0] - 2026-11-02\n")
	f.requireClean(t)

	// The same commit pins the wrappers to the release: the version, the
	// sha256 of its SHA256SUMS and the public key that signed it.
	require.Equal(t, []string{".github/workflows/build-scan-deploy.yml", "ci/github/action.yml"}, res.Pinned)
	marked, paved, err := pins.Read(f.dir)
	require.NoError(t, err)
	pub, err := os.ReadFile(f.keys.PublicKey)
	require.NoError(t, err)
	oneLine, err := pins.OneLine(pub)
	require.NoError(t, err)
	got := map[string]string{}
	for _, m := range marked {
		got[m.Name] = m.Value
	}
	require.Equal(t, map[string]string{pins.Version: "v0.2.0", pins.PublicKey: oneLine, pins.SHA256SUMS: "v0.2.0 " + res.SumsSHA256}, got)
	require.Len(t, paved, 1)
	require.Equal(t, "v0.2.0", paved[0].Version)

	// The remote has the branch and the tag.
	remoteMain, err := bare.Reference(plumbing.NewBranchReferenceName("main"), false)
	require.NoError(t, err)
	require.Equal(t, head.Hash(), remoteMain.Hash())
	_, err = bare.Tag("v0.2.0")
	require.NoError(t, err)

	// The image and each platform verify with the public key, as a user
	// of the release would check them.
	for _, ref := range append([]string{res.Image}, res.Platforms["linux/amd64"], res.Platforms["linux/arm64"]) {
		d, err := name.NewDigest(ref)
		require.NoError(t, err)
		_, err = sign.Verify(context.Background(), d, sign.VerifyOptions{Key: f.keys.PublicKey})
		require.NoError(t, err, ref)
	}
	d, err := name.NewDigest(res.Platforms["linux/arm64"])
	require.NoError(t, err)
	v, err := sign.Verify(context.Background(), d, sign.VerifyOptions{Key: f.keys.PublicKey, Require: []string{sign.KindSBOM}})
	require.NoError(t, err)
	require.Equal(t, 1, v.Attestations[sign.PredicateSPDX])

	// The output directory holds tarballs and SBOMs whose sums match, and
	// the amd64 binary says its version.
	requireSums(t, filepath.Join(o.OutDir, "v0.2.0"), res.Files)
	sums, err := os.ReadFile(filepath.Join(o.OutDir, "v0.2.0", dist.SumsFile))
	require.NoError(t, err)
	sig, err := os.ReadFile(filepath.Join(o.OutDir, "v0.2.0", dist.SigFile))
	require.NoError(t, err)
	require.NoError(t, sign.VerifyBlob(context.Background(), sums, sig, f.keys.PublicKey), "SHA256SUMS is signed with the release key")
	sum := sha256.Sum256(sums)
	require.Equal(t, hex.EncodeToString(sum[:]), res.SumsSHA256)
	bin := untar(t, filepath.Join(o.OutDir, "v0.2.0", "tiny_0.2.0_linux_amd64.tar.gz"), "tiny")
	if runtime.GOARCH == "amd64" {
		path := filepath.Join(t.TempDir(), "tiny")
		require.NoError(t, os.WriteFile(path, bin, 0o755))
		out, err := exec.Command(path).Output()
		require.NoError(t, err)
		require.Equal(t, "tiny v0.2.0\n", string(out))
	}

	// A second publish is refused: HEAD is the release commit, which says
	// how to push it if that was what failed.
	_, err = Publish(context.Background(), o)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorContains(t, err, "HEAD is the release commit of v0.2.0, tagged here")
	require.ErrorContains(t, err, "push only: git push --atomic origin main v0.2.0")
}

func mustTag(t *testing.T, r *git.Repository, tag string) plumbing.Hash {
	t.Helper()
	ref, err := r.Tag(tag)
	require.NoError(t, err)
	return ref.Hash()
}

func (f *fixture) requireClean(t *testing.T) {
	t.Helper()
	wt, err := f.repo.Worktree()
	require.NoError(t, err)
	st, err := wt.Status()
	require.NoError(t, err)
	require.True(t, st.IsClean(), "work tree: %v", st)
}

func requireSums(t *testing.T, dir string, files []string) {
	t.Helper()
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	require.Len(t, lines, 4, "two tarballs and two SBOMs")
	require.Len(t, files, 6, "and SHA256SUMS with its signature")
	for _, l := range lines {
		sum, file, ok := strings.Cut(l, "  ")
		require.True(t, ok, l)
		data, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		got := sha256.Sum256(data)
		require.Equal(t, sum, hex.EncodeToString(got[:]), file)
	}
}

func untar(t *testing.T, path, want string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	h, err := tr.Next()
	require.NoError(t, err)
	require.Equal(t, want, h.Name)
	require.EqualValues(t, 0o755, h.Mode)
	bin, err := io.ReadAll(tr)
	require.NoError(t, err)
	_, err = tr.Next()
	require.ErrorIs(t, err, io.EOF, "one file per tarball")
	return bin
}
