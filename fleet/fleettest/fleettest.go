// Package fleettest makes real git repositories for fleet tests: a remote
// per service, written with go-git, committed to with a fixed clock.
package fleettest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Epoch is the committer time of the first commit; each later commit is one
// minute later.
var Epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// Repo is a remote repository made for a test: a bare repository at Dir
// (clone it by that path or as file://Dir) fed from a work tree.
type Repo struct {
	Dir  string
	work *git.Repository
	n    int
}

// NewRepo creates a bare remote under parent/name.git with one commit on
// main holding files (path → contents; nil map for an empty remote).
func NewRepo(tb testing.TB, parent, name string, files map[string]string) *Repo {
	tb.Helper()
	bare := filepath.Join(parent, name+".git")
	if _, err := git.PlainInitWithOptions(bare, &git.PlainInitOptions{Bare: true, InitOptions: git.InitOptions{DefaultBranch: "refs/heads/main"}}); err != nil {
		tb.Fatal(err)
	}
	work, err := git.PlainInitWithOptions(filepath.Join(parent, name+".work"), &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: "refs/heads/main"}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := work.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{bare}}); err != nil {
		tb.Fatal(err)
	}
	r := &Repo{Dir: bare, work: work}
	if files != nil {
		r.Commit(tb, files)
	}
	return r
}

// Commit writes files (path → contents; "" deletes the file), commits them
// and pushes main to the remote. It returns the commit SHA.
func (r *Repo) Commit(tb testing.TB, files map[string]string) string {
	tb.Helper()
	wt, err := r.work.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	for p, data := range files {
		full := filepath.Join(wt.Filesystem.Root(), filepath.FromSlash(p))
		if data == "" {
			if _, err := wt.Remove(p); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
		if _, err := wt.Add(p); err != nil {
			tb.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "fleettest", Email: "fleettest@localhost", When: Epoch.Add(time.Duration(r.n) * time.Minute)}
	r.n++
	h, err := wt.Commit("test commit", &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.work.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"+refs/heads/main:refs/heads/main"}}); err != nil {
		tb.Fatal(err)
	}
	return h.String()
}
