package fleettest

import (
	"errors"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ReadFile returns the contents of file p at the tip of branch in the bare
// repository dir; a missing file fails the test (ReadFileIfExists allows
// it).
func ReadFile(tb testing.TB, dir, branch, p string) string {
	tb.Helper()
	s, ok := ReadFileIfExists(tb, dir, branch, p)
	if !ok {
		tb.Fatalf("reading %s at %s of %s: no such file", p, branch, dir)
	}
	return s
}

// ReadFileIfExists is ReadFile for a file that may be absent: false then.
func ReadFileIfExists(tb testing.TB, dir, branch, p string) (string, bool) {
	tb.Helper()
	c := tip(tb, dir, branch)
	f, err := c.File(p)
	if errors.Is(err, object.ErrFileNotFound) {
		return "", false
	}
	if err != nil {
		tb.Fatal(err)
	}
	s, err := f.Contents()
	if err != nil {
		tb.Fatal(err)
	}
	return s, true
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
