package publish

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sign"
)

func TestPublishDryRun(t *testing.T) {
	f := newFixture(t)
	// A tag with build metadata is no release, as for the candidate.
	_, err := f.repo.CreateTag("v0.5.0+build.1", f.head, nil)
	require.NoError(t, err)
	o := f.options()
	o.DryRun = true
	o.Key, o.PublicKey, o.Repository = "", "", ""
	o.OutDir = filepath.Join(t.TempDir(), "dist")
	before := f.snapshot(t)

	res, err := Publish(context.Background(), o)
	require.NoError(t, err)
	require.True(t, res.DryRun)
	require.Equal(t, "v0.2.0", res.Version)
	require.Equal(t, "v0.1.0", res.Previous)
	require.Empty(t, res.Commit)
	f.requireUnchanged(t, before)
	f.requireNothingPushed(t)
	require.NoDirExists(t, o.OutDir)
}

func TestPublishFirstRelease(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.repo.DeleteTag("v0.1.0"))
	f.replaceNotes(t, notes[strings.Index(notes, "## [0.1.0]"):], "")
	f.baseline = nil
	o := f.options()
	o.DryRun = true
	for _, tc := range []struct{ requested, candidate, want string }{
		{"", "v0.1.0-rc.1", "v0.1.0"},
		{"v1.0.0", "v1.0.0-rc.1", "v1.0.0"},
	} {
		o.Version = tc.requested
		o.CandidateReport = f.report(t, tc.candidate, f.head.String(), "pass")
		res, err := Publish(context.Background(), o)
		require.NoError(t, err)
		require.Equal(t, tc.want, res.Version)
		require.Empty(t, res.Previous)
	}
}

// TestPublishRegistryDown: an unreachable registry is transient (exit 4)
// and nothing is committed or tagged.
func TestPublishRegistryDown(t *testing.T) {
	f := newFixture(t)
	down := httptest.NewServer(nil)
	down.Close()
	o := f.options()
	o.Repository = strings.TrimPrefix(down.URL, "http://") + "/paved-dev/tiny"
	before := f.snapshot(t)

	_, err := Publish(context.Background(), o)
	require.Equal(t, failure.Transient, failure.KindOf(err), err.Error())
	f.requireUnchanged(t, before)
}

// TestPublishVerifiesBeforeTagging: artifacts signed with a key that the
// given public key does not verify are never tagged.
func TestPublishVerifiesBeforeTagging(t *testing.T) {
	f := newFixture(t)
	other, err := sign.GenerateKeys(t.TempDir(), []byte("other"))
	require.NoError(t, err)
	o := f.options()
	o.PublicKey = other.PublicKey
	before := f.snapshot(t)

	_, err = Publish(context.Background(), o)
	require.Equal(t, failure.Policy, failure.KindOf(err), err.Error())
	require.ErrorContains(t, err, "no signature verifies")
	f.requireUnchanged(t, before)
	_, tagged := f.imageTag(t, "v0.2.0")
	require.False(t, tagged, "the registry tag v0.2.0 points at an unverified image")
}

// TestPublishRefusesImageTagElsewhere: a registry tag of the version at
// another image is never moved, and nothing is committed or tagged.
func TestPublishRefusesImageTagElsewhere(t *testing.T) {
	f := newFixture(t)
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	ref, err := name.NewTag(f.registry + "/paved-dev/tiny:v0.2.0")
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, img))
	other, err := img.Digest()
	require.NoError(t, err)
	before := f.snapshot(t)

	_, err = Publish(context.Background(), f.options())
	require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
	require.ErrorContains(t, err, "registry tag "+ref.String()+" already points at "+other.String())
	f.requireUnchanged(t, before)
	got, _ := f.imageTag(t, "v0.2.0")
	require.Equal(t, other.String(), got, "the tag was moved")
}

// TestCommitAndTagUndoAfterImageTag: when tagging the image fails after the
// git commit and tag, both are undone.
func TestCommitAndTagUndoAfterImageTag(t *testing.T) {
	f := newFixture(t)
	r, err := openRepo(f.dir)
	require.NoError(t, err)
	before := f.snapshot(t)
	who, err := r.identity(f.options().Now())
	require.NoError(t, err)

	_, err = r.commitAndTag(f.head, map[string][]byte{ChangelogFile: []byte("released\n")}, "chore(release): v0.2.0", "v0.2.0", "paved v0.2.0", who,
		func() error { return errors.New("tagging the image: registry down") })
	require.ErrorContains(t, err, "registry down")
	require.NotContains(t, err.Error(), "undoing it failed")
	f.requireUnchanged(t, before)
}

// TestCommitAndTagUndo: when the tag cannot be created after the commit,
// the branch, the changelog, the index and the tags are put back.
func TestCommitAndTagUndo(t *testing.T) {
	f := newFixture(t)
	r, err := openRepo(f.dir)
	require.NoError(t, err)
	// A directory where the tag's ref file goes makes writing it fail.
	require.NoError(t, os.MkdirAll(filepath.Join(f.dir, ".git", "refs", "tags", "v0.2.0"), 0o755))
	before := f.snapshot(t)
	who, err := r.identity(f.options().Now())
	require.NoError(t, err)

	_, err = r.commitAndTag(f.head, map[string][]byte{ChangelogFile: []byte("released\n")}, "chore(release): v0.2.0", "v0.2.0", "paved v0.2.0", who, nil)
	require.ErrorContains(t, err, "creating tag v0.2.0")
	require.NotContains(t, err.Error(), "undoing it failed")
	f.requireUnchanged(t, before)
}

// TestCommitAndTagRechecks: a tree made dirty or a HEAD moved while the
// release was built is refused right before the commit.
func TestCommitAndTagRechecks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		want  string
		dirty []string
	}{
		{"dirty", func(t *testing.T, f *fixture) {
			writeFile(t, filepath.Join(f.dir, "cmd/tiny/late.go"), "package main\n")
		}, "not clean (cmd/tiny/late.go)", []string{"cmd/tiny/late.go"}},
		{"HEAD moved", func(t *testing.T, f *fixture) {
			writeFile(t, filepath.Join(f.dir, "README.md"), "late\n")
			f.commit(t, "late")
		}, "HEAD moved to ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			built := f.head
			r, err := openRepo(f.dir)
			require.NoError(t, err)
			tc.setup(t, f)
			before := f.snapshot(t)
			who, err := r.identity(f.options().Now())
			require.NoError(t, err)

			_, err = r.commitAndTag(built, map[string][]byte{ChangelogFile: []byte("released\n")}, "chore(release): v0.2.0", "v0.2.0", "paved v0.2.0", who, nil)
			require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
			require.ErrorContains(t, err, tc.want)
			f.requireUnchanged(t, before, tc.dirty...)
		})
	}
}

// TestPushNonFastForward: a remote branch ahead of the release is bad input
// that says how to drop the local release, not a transient failure.
func TestPushNonFastForward(t *testing.T) {
	f := newFixture(t)
	f.addRemote(t)
	base := f.head
	writeFile(t, filepath.Join(f.dir, "README.md"), "pushed by someone else\n")
	f.commit(t, "elsewhere")
	require.NoError(t, f.repo.Push(&git.PushOptions{RemoteName: "origin"}))
	wt, err := f.repo.Worktree()
	require.NoError(t, err)
	require.NoError(t, wt.Reset(&git.ResetOptions{Commit: base, Mode: git.HardReset}))
	writeFile(t, filepath.Join(f.dir, "CHANGELOG.md"), "released\n")
	f.commit(t, "chore(release): v0.2.0")
	_, err = f.repo.CreateTag("v0.2.0", f.head, nil)
	require.NoError(t, err)
	r, err := openRepo(f.dir)
	require.NoError(t, err)

	err = r.push("origin", plumbing.NewBranchReferenceName("main"), "v0.2.0")
	require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
	require.ErrorContains(t, err, "git tag -d v0.2.0 && git reset --keep HEAD~1), pull, and release again")
}
