package fleettest

import (
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Append commits files (path → contents) on top of branch of the bare
// repository dir, as another user would (a fresh clone, a fast-forward
// push: nothing the repository already has is overwritten), and returns the
// new commit's SHA. It is how a test plays a CI wrapper committing a run
// record after a campaign merged into the branch.
func Append(tb testing.TB, dir, branch, msg string, files map[string]string) string {
	tb.Helper()
	fs := memfs.New()
	r, err := git.Clone(memory.NewStorage(), fs, &git.CloneOptions{URL: dir, ReferenceName: plumbing.NewBranchReferenceName(branch), SingleBranch: true})
	if err != nil {
		tb.Fatalf("cloning %s: %v", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	for p, data := range files {
		if err := util.WriteFile(fs, p, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
		if _, err := wt.Add(p); err != nil {
			tb.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "wrapper", Email: "ci@localhost", When: time.Now()}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Push(&git.PushOptions{}); err != nil {
		tb.Fatalf("pushing to %s: %v", dir, err)
	}
	return h.String()
}

// Tip returns the SHA of the tip of branch in the bare repository dir.
func Tip(tb testing.TB, dir, branch string) string {
	tb.Helper()
	return tip(tb, dir, branch).Hash.String()
}
