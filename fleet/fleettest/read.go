package fleettest

import (
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ReadFile returns the contents of file p at the tip of branch in the bare
// repository dir ("" when the file does not exist).
func ReadFile(tb testing.TB, dir, branch, p string) string {
	tb.Helper()
	c := tip(tb, dir, branch)
	f, err := c.File(p)
	if err != nil {
		return ""
	}
	s, err := f.Contents()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Log returns the commits of branch in the bare repository dir, newest
// first, following first parents.
func Log(tb testing.TB, dir, branch string) []*object.Commit {
	tb.Helper()
	c := tip(tb, dir, branch)
	var out []*object.Commit
	for c != nil {
		out = append(out, c)
		if c.NumParents() == 0 {
			break
		}
		p, err := c.Parent(0)
		if err != nil {
			tb.Fatal(err)
		}
		c = p
	}
	return out
}

// Branches returns the branch names of the bare repository dir.
func Branches(tb testing.TB, dir string) []string {
	tb.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		tb.Fatal(err)
	}
	it, err := r.Branches()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	_ = it.ForEach(func(ref *plumbing.Reference) error {
		out = append(out, ref.Name().Short())
		return nil
	})
	return out
}

func tip(tb testing.TB, dir, branch string) *object.Commit {
	tb.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		tb.Fatal(err)
	}
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		tb.Fatalf("reading %s of %s: %v", branch, dir, err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
