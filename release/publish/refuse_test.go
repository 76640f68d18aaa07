package publish

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

// TestPublishRefuses checks each refusal: its class, that its message says
// what is wrong and what to do, and that nothing was pushed, committed,
// written or tagged.
func TestPublishRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, f *fixture, o *Options)
		kind  failure.Kind
		want  []string
		dirty []string
	}{
		{
			name: "missing report",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = filepath.Join(t.TempDir(), "nope.json")
			},
			kind: failure.BadInput,
			want: []string{"nope.json", "does not exist", "run paved release candidate"},
		},
		{
			name: "report without verdict",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "")
			},
			kind: failure.BadInput,
			want: []string{"no verdict"},
		},
		{
			name: "dirty tree",
			setup: func(t *testing.T, f *fixture, o *Options) {
				writeFile(t, filepath.Join(f.dir, "README.md"), "edited\n")
				writeFile(t, filepath.Join(f.dir, "cmd/tiny/extra.go"), "package main\n")
				writeFile(t, filepath.Join(f.dir, "out/ignored.txt"), "ignored files do not count\n")
			},
			kind:  failure.BadInput,
			want:  []string{"not clean (README.md, cmd/tiny/extra.go)", "commit or remove the changes"},
			dirty: []string{"README.md", "cmd/tiny/extra.go"},
		},
		{
			name: "many dirty files are cut short",
			setup: func(t *testing.T, f *fixture, o *Options) {
				for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
					writeFile(t, filepath.Join(f.dir, n+".txt"), n)
				}
			},
			kind:  failure.BadInput,
			want:  []string{"(a.txt, b.txt, c.txt, d.txt, e.txt, and 2 more)"},
			dirty: []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt", "g.txt"},
		},
		{
			name: "candidate failed",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "fail")
			},
			kind: failure.Policy,
			want: []string{`the candidate v0.2.0-rc.1 did not pass (verdict "fail")`, "run paved release candidate again"},
		},
		{
			name: "candidate of another commit",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", strings.Repeat("ab", 20), "pass")
			},
			kind: failure.BadInput,
			want: []string{"the candidate was built from abababababab, HEAD is ", "run paved release candidate again"},
		},
		{
			name: "candidate of a dirty tree",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass", "dirty")
			},
			kind: failure.BadInput,
			want: []string{"built from a work tree with uncommitted changes", "on a clean tree"},
		},
		{
			name: "partial report",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass", "partial")
			},
			kind: failure.Policy,
			want: []string{"ran only some apps of release/apps.yaml", "run paved release candidate again with every app"},
		},
		{
			name: "report of another apps file",
			setup: func(t *testing.T, f *fixture, o *Options) {
				writeFile(t, filepath.Join(f.dir, AppsFile), "apps: []\n")
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")
				require.NoError(t, exec.Command("git", "-C", f.dir, "checkout", "--", AppsFile).Run())
			},
			kind: failure.BadInput,
			want: []string{"ran with another release/apps.yaml (sha256 ", "than HEAD's", "run paved release candidate again"},
		},
		{
			name: "report of another changelog",
			setup: func(t *testing.T, f *fixture, o *Options) {
				writeFile(t, filepath.Join(f.dir, ChangelogFile), notes+"\nmore\n")
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")
				writeFile(t, filepath.Join(f.dir, ChangelogFile), notes)
			},
			kind: failure.BadInput,
			want: []string{"ran with another CHANGELOG.md"},
		},
		{
			name: "report of an older paved",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass", "-partial", "-baseline")
			},
			kind: failure.BadInput,
			want: []string{"no partial, baseline: it was written by an older paved; run paved release candidate again"},
		},
		{
			name: "report of another schema",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass", "-schemaVersion")
			},
			kind: failure.BadInput,
			want: []string{`schemaVersion "", publish reads "paved.dev/release-candidate-report/v1"`},
		},
		{
			name: "baseline of another release",
			setup: func(t *testing.T, f *fixture, o *Options) {
				f.baseline = map[string]string{"version": "v0.0.9", "commit": f.head.String()}
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")
			},
			kind: failure.BadInput,
			want: []string{"was compared with v0.0.9, but the previous release is v0.1.0"},
		},
		{
			name: "no baseline but a previous release",
			setup: func(t *testing.T, f *fixture, o *Options) {
				f.baseline = nil
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")
			},
			kind: failure.BadInput,
			want: []string{"was compared with no previous release, but the previous release is v0.1.0"},
		},
		{
			name: "a baseline but no release tag",
			setup: func(t *testing.T, f *fixture, o *Options) {
				require.NoError(t, f.repo.DeleteTag("v0.1.0"))
			},
			kind: failure.BadInput,
			want: []string{"was compared with v0.1.0, but HEAD's history has no release tag: fetch the tags"},
		},
		{
			name: "shallow clone",
			setup: func(t *testing.T, f *fixture, o *Options) {
				writeFile(t, filepath.Join(f.dir, ".git", "shallow"), f.head.String()+"\n")
			},
			kind: failure.BadInput,
			want: []string{"is a shallow clone: fetch the full history and tags"},
		},
		{
			name: "tag exists on the remote",
			setup: func(t *testing.T, f *fixture, o *Options) {
				bare := f.addRemote(t)
				require.NoError(t, f.repo.Push(&git.PushOptions{RemoteName: "origin"}))
				_, err := bare.CreateTag("v0.2.0", f.head, nil)
				require.NoError(t, err)
				o.PushRemote = "origin"
			},
			kind: failure.BadInput,
			want: []string{`tag v0.2.0 already exists on remote "origin"`, "release the next one"},
		},
		{
			name:  "not semver",
			setup: func(t *testing.T, f *fixture, o *Options) { o.Version = "v0.2" },
			kind:  failure.BadInput,
			want:  []string{`parsing version "v0.2": not semver`},
		},
		{
			name:  "disagreeing version",
			setup: func(t *testing.T, f *fixture, o *Options) { o.Version = "v0.1.1" },
			kind:  failure.BadInput,
			want:  []string{"the change notes call for a minor release (Unreleased has Added) after v0.1.0, that is v0.2.0"},
		},
		{
			name: "candidate of another version",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.CandidateReport = f.report(t, "v0.3.0-rc.2", f.head.String(), "pass")
			},
			kind: failure.BadInput,
			want: []string{"the candidate v0.3.0-rc.2 is a candidate of v0.3.0, not v0.2.0"},
		},
		{
			name: "tag exists",
			setup: func(t *testing.T, f *fixture, o *Options) {
				wt, err := f.repo.Worktree()
				require.NoError(t, err)
				require.NoError(t, wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("side"), Create: true}))
				writeFile(t, filepath.Join(f.dir, "side.txt"), "x")
				f.commit(t, "side")
				_, err = f.repo.CreateTag("v0.2.0", f.head, nil)
				require.NoError(t, err)
				require.NoError(t, wt.Checkout(&git.CheckoutOptions{Branch: plumbing.Main}))
				head, err := f.repo.Head()
				require.NoError(t, err)
				f.head = head.Hash()
			},
			kind: failure.BadInput,
			want: []string{"tag v0.2.0 already exists (at ", ", on branch side)", "release from the branch that has it", "release the next one"},
		},
		{
			name: "nothing to release",
			setup: func(t *testing.T, f *fixture, o *Options) {
				o.Version = ""
				f.replaceNotes(t, "## [Unreleased]\n\n### Added\n- A release verb.\n\n### Fixed\n- A fix.\n\n", "## [Unreleased]\n\n")
				o.CandidateReport = f.report(t, "v0.2.0-rc.1", f.head.String(), "pass")
			},
			kind: failure.BadInput,
			want: []string{"nothing to release: add change notes under Unreleased"},
		},
		{
			name: "detached HEAD",
			setup: func(t *testing.T, f *fixture, o *Options) {
				wt, err := f.repo.Worktree()
				require.NoError(t, err)
				require.NoError(t, wt.Checkout(&git.CheckoutOptions{Hash: f.head}))
			},
			kind: failure.BadInput,
			want: []string{"is detached at", "check out the branch to release"},
		},
		{
			name:  "no signing key",
			setup: func(t *testing.T, f *fixture, o *Options) { o.Key, o.PublicKey = "", "" },
			kind:  failure.BadInput,
			want:  []string{"publishing v0.2.0 needs a signing key and a public key to verify with"},
		},
		{
			name:  "unknown remote",
			setup: func(t *testing.T, f *fixture, o *Options) { o.PushRemote = "upstream" },
			kind:  failure.BadInput,
			want:  []string{`git remote "upstream": it does not exist`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			o := f.options()
			tc.setup(t, f, &o)
			before := f.snapshot(t)

			_, err := Publish(context.Background(), o)
			require.Error(t, err)
			require.Equal(t, tc.kind, failure.KindOf(err), err.Error())
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), password)
			f.requireUnchanged(t, before, tc.dirty...)
			f.requireNothingPushed(t)
		})
	}
}

func (f *fixture) replaceNotes(t *testing.T, old, new string) {
	t.Helper()
	path := filepath.Join(f.dir, "CHANGELOG.md")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), old)
	writeFile(t, path, strings.Replace(string(data), old, new, 1))
	f.commit(t, "docs: no notes")
}
