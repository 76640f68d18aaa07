package gitremote_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/gitremote/gitremotetest"
)

// canary is the secret no error may show.
const canary = "CANARY5ecret"

// bare returns the path of a bare repository; with a file, main holds one
// commit writing it.
func bare(t *testing.T, file string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "r.git")
	_, err := git.PlainInit(dir, true)
	require.NoError(t, err)
	if file == "" {
		return dir
	}
	rem := gitremote.Remote{URL: dir}
	repo, wt := clone(t, rem, "")
	commitFile(t, wt, file, "seed")
	require.NoError(t, rem.Push(context.Background(), repo, "refs/heads/master:refs/heads/main"))
	return dir
}

// clone clones branch of r (a fresh repository with a work tree when
// branch is empty).
func clone(t *testing.T, r gitremote.Remote, branch string) (*git.Repository, *git.Worktree) {
	t.Helper()
	if branch != "" {
		repo, wt, err := r.Clone(context.Background(), branch)
		require.NoError(t, err)
		return repo, wt
	}
	repo, err := git.Init(memory.NewStorage(), memfs.New())
	require.NoError(t, err)
	_, err = repo.CreateRemote(&config.RemoteConfig{Name: gitremote.Origin, URLs: []string{r.URL}})
	require.NoError(t, err)
	wt, err := repo.Worktree()
	require.NoError(t, err)
	return repo, wt
}

// commitFile writes name with content and commits it.
func commitFile(t *testing.T, wt *git.Worktree, name, content string) {
	t.Helper()
	require.NoError(t, util.WriteFile(wt.Filesystem, name, []byte(content), 0o644))
	_, err := wt.Add(name)
	require.NoError(t, err)
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	_, err = wt.Commit(content, &git.CommitOptions{Author: sig})
	require.NoError(t, err)
}

// TestErrors: every remote failure is a *RemoteError of its class, with
// the failure kind paved maps to exit codes, a hint, and no credential,
// whatever form the credential takes in the URL or the auth.
func TestErrors(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	served := gitremotetest.HTTP(t, bare(t, "a"), token)
	refused := "http://127.0.0.1:1/o/r.git"
	tests := []struct {
		name   string
		remote gitremote.Remote
		branch string
		class  gitremote.Class
		want   string
	}{
		{"missing repository", gitremote.Remote{URL: filepath.Join(t.TempDir(), "gone.git")}, "main", gitremote.ClassNotFound, "repository not found: check the repository URL"},
		{"missing repository, URL from a file", gitremote.Remote{URL: filepath.Join(t.TempDir(), "gone.git"), From: "the fleet file"}, "main", gitremote.ClassNotFound, "check the repository URL in the fleet file"},
		{"empty repository", gitremote.Remote{URL: bare(t, "")}, "main", gitremote.ClassNotFound, "no commit yet"},
		{"missing branch", gitremote.Remote{URL: bare(t, "a")}, "nope", gitremote.ClassNotFound, "check the branch"},
		{"wrong password", gitremote.Remote{URL: served, Auth: &githttp.BasicAuth{Username: "x-access-token", Password: canary}}, "main", gitremote.ClassAuth, "check the git credentials"},
		{"token auth", gitremote.Remote{URL: served, Auth: &githttp.TokenAuth{Token: canary}}, "main", gitremote.ClassAuth, "check the git credentials"},
		{"token as user", gitremote.Remote{URL: strings.Replace(served, "http://", "http://ghp_"+canary+"@", 1)}, "main", gitremote.ClassAuth, "cloning http://***@127.0.0.1:"},
		{"secret handed over", gitremote.Remote{URL: refused, Secrets: []string{canary}, Auth: &githttp.BasicAuth{Username: canary}}, "main", gitremote.ClassTransient, "is reachable"},
		{"user and password", gitremote.Remote{URL: strings.Replace(refused, "http://", "http://alice:"+canary+"@", 1)}, "main", gitremote.ClassTransient, "cloning http://***@127.0.0.1:1/o/r.git: "},
		// go-git spells the URL anew, in lower case: the token is
		// found in the message however the URL is spelt.
		{"token as user, upper-case scheme", gitremote.Remote{URL: strings.Replace(refused, "http://", "HTTP://ghp_"+canary+"@", 1)}, "main", gitremote.ClassTransient, "connection refused"},
		{"x-access-token, trailing slash", gitremote.Remote{URL: strings.Replace(refused, "http://", "http://x-access-token:"+canary+"@", 1) + "/"}, "main", gitremote.ClassTransient, "connection refused"},
		{"oauth2", gitremote.Remote{URL: strings.Replace(refused, "http://", "http://oauth2:glpat-"+canary+"@", 1)}, "main", gitremote.ClassTransient, "connection refused"},
		{"query token", gitremote.Remote{URL: refused + "?private_token=" + canary}, "main", gitremote.ClassTransient, "private_token=***"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.remote.Clone(context.Background(), tc.branch)
			require.Error(t, err)
			require.Equal(t, tc.class, gitremote.ClassOf(err), err.Error())
			require.Equal(t, tc.class.Kind(), failure.KindOf(err), err.Error())
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), canary)
			var re *gitremote.RemoteError
			require.ErrorAs(t, err, &re)
			require.Equal(t, "cloning", re.Op)
			require.NotContains(t, re.URL, canary)
		})
	}
}

// race makes the push of a clone of url lose: another writer pushes to
// main after the clone.
func race(t *testing.T, url string) (*git.Repository, *git.Worktree) {
	t.Helper()
	rem := gitremote.Remote{URL: url}
	repo, wt := clone(t, rem, "main")
	other, owt := clone(t, rem, "main")
	commitFile(t, owt, "other", "other")
	require.NoError(t, rem.Push(context.Background(), other, "refs/heads/main:refs/heads/main"))
	return repo, wt
}

// TestRetryReappliesOnFreshState: a push that lost the race is rejected
// (ClassRejected, ErrRejected), and Retry's next try, after Reset,
// re-applies the edit on the other writer's commit.
func TestRetryReappliesOnFreshState(t *testing.T) {
	ctx := context.Background()
	url := bare(t, "a")
	rem := gitremote.Remote{URL: url}
	repo, wt := race(t, url)
	var errs []error
	err := gitremote.Retry(ctx, gitremote.Backoff{Attempts: 3, First: time.Millisecond}, func(attempt int) error {
		if attempt > 1 {
			require.NoError(t, rem.Reset(ctx, repo, wt, "main"))
		}
		commitFile(t, wt, "mine", "mine")
		err := rem.Push(ctx, repo, "refs/heads/main:refs/heads/main")
		errs = append(errs, err)
		return err
	})
	require.NoError(t, err)
	require.Len(t, errs, 2)
	require.True(t, gitremote.Rejected(errs[0]))
	require.ErrorIs(t, errs[0], gitremote.ErrRejected)
	require.Equal(t, gitremote.ClassRejected, gitremote.ClassOf(errs[0]))
	require.Equal(t, failure.Transient, failure.KindOf(errs[0]))
	require.Contains(t, errs[0].Error(), "pushing main to "+url)

	_, wt = clone(t, rem, "main")
	for _, f := range []string{"a", "other", "mine"} {
		_, err := wt.Filesystem.Stat(f)
		require.NoError(t, err, "the remote has %s", f)
	}
}

func TestRetryStops(t *testing.T) {
	rejected := gitremote.Remote{URL: "/r.git"}.Err("pushing to", git.ErrNonFastForwardUpdate)
	bad := errors.New("the edit failed")
	tests := []struct {
		name     string
		attempts int
		errs     func(attempt int) error
		want     error
		tries    int
	}{
		{"success", 5, func(int) error { return nil }, nil, 1},
		{"another error is not tried again", 5, func(int) error { return bad }, bad, 1},
		{"rejected until the attempts run out", 4, func(int) error { return rejected }, rejected, 4},
		{"rejected, then won", 4, func(n int) error {
			if n < 3 {
				return rejected
			}
			return nil
		}, nil, 3},
		{"at least one try", 0, func(int) error { return rejected }, rejected, 1},
		// backoff gives the last attempt's error back still wrapped as
		// permanent: it must come out as it was, keeping its kind.
		{"another error on the only attempt", 1, func(int) error { return failure.BadInputErr(bad) }, failure.BadInputErr(bad), 1},
		{"another error on the last attempt", 3, func(n int) error {
			if n < 3 {
				return rejected
			}
			return failure.PolicyErr(bad)
		}, failure.PolicyErr(bad), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			err := gitremote.Retry(context.Background(), gitremote.Backoff{Attempts: tc.attempts, First: time.Microsecond}, func(n int) error {
				tries++
				require.Equal(t, tries, n)
				return tc.errs(n)
			})
			require.Equal(t, tc.want, err)
			require.Equal(t, failure.KindOf(tc.want), failure.KindOf(err))
			require.Equal(t, tc.tries, tries)
		})
	}
}

// TestRetryContext: a context that ends while Retry waits stops it at
// once, as transient, with the push's error and the context's.
func TestRetryContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rejected := gitremote.Remote{URL: "/r.git"}.Err("pushing to", git.ErrNonFastForwardUpdate)
	tries := 0
	err := gitremote.Retry(ctx, gitremote.Backoff{Attempts: 5, First: time.Hour}, func(int) error {
		tries++
		cancel()
		return rejected
	})
	require.Equal(t, 1, tries)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, gitremote.ErrRejected)
	require.Equal(t, failure.Transient, failure.KindOf(err))
}

// TestBackoffSchedule: every wait lies in the upper half of its doubling
// step, capped at Max.
func TestBackoffSchedule(t *testing.T) {
	b := gitremote.Backoff{Attempts: 10, First: 200 * time.Millisecond, Max: 5 * time.Second}
	for range 50 {
		d := b.First
		for i, w := range b.Waits(8) {
			require.GreaterOrEqual(t, w, d/2, "wait %d", i+1)
			require.LessOrEqual(t, w, d, "wait %d", i+1)
			d = min(2*d, b.Max)
		}
	}
}
