// Package mirror keeps shallow local copies of remote git repositories, so
// that reading a fleet of repositories a second time fetches only what
// changed. A copy is a bare repository holding the tip of one branch (depth
// 1); files are read from its commit tree without a checkout.
package mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Cache is a directory of shallow repository copies, one per URL. It is
// safe for concurrent use within one process; two processes sharing one
// directory must not fetch the same URL at the same time.
type Cache struct {
	dir  string
	auth transport.AuthMethod

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// Option configures a Cache.
type Option func(*Cache)

// WithAuth sets the credentials of every fetch (go-git's http.BasicAuth or
// ssh.PublicKeys); none by default.
func WithAuth(a transport.AuthMethod) Option { return func(c *Cache) { c.auth = a } }

// New returns a cache in dir, which is created on first use.
func New(dir string, opts ...Option) *Cache {
	c := &Cache{dir: dir, locks: map[string]*sync.Mutex{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Fetch brings the cached copy of url up to date with the tip of branch
// (the remote's HEAD when branch is empty), fetching at depth 1, and
// returns that commit's tree. A first fetch clones; later ones transfer
// only new objects, or nothing when the tip has not moved. A copy that
// cannot be updated (corrupt, or its history rewritten) is fetched again
// from scratch once. The remote's refusal (not found, credentials,
// unreachable) is a *gitremote.RemoteError, classified.
func (c *Cache) Fetch(ctx context.Context, url, branch string) (*Snapshot, error) {
	dir := filepath.Join(c.dir, Key(url))
	unlock := c.lock(dir)
	defer unlock()
	s, err := c.fetch(ctx, dir, url, branch)
	if err == nil || gitremote.ClassOf(err) != gitremote.ClassOther || ctx.Err() != nil {
		return s, err
	}
	if rmErr := os.RemoveAll(dir); rmErr != nil {
		return nil, fmt.Errorf("resetting the cached copy of %s in %s: %w", redact.URL(url), dir, rmErr)
	}
	return c.fetch(ctx, dir, url, branch)
}

func (c *Cache) fetch(ctx context.Context, dir, url, branch string) (*Snapshot, error) {
	repo, err := open(dir, url)
	if err != nil {
		return nil, err
	}
	src, dst := "HEAD", "refs/remotes/origin/HEAD"
	if branch != "" {
		src, dst = "refs/heads/"+branch, "refs/remotes/origin/"+branch
	}
	rem := gitremote.Remote{URL: url, Auth: c.auth, From: "the fleet file"}
	if err := rem.Fetch(ctx, repo, 1, config.RefSpec("+"+src+":"+dst)); err != nil {
		return nil, err
	}
	ref, err := repo.Reference(plumbing.ReferenceName(dst), true)
	if err != nil {
		return nil, fmt.Errorf("reading %s of %s: %w", dst, redact.URL(url), err)
	}
	commit, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("reading commit %s of %s: %w", ref.Hash(), redact.URL(url), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s of %s: %w", ref.Hash(), redact.URL(url), err)
	}
	return &Snapshot{URL: url, Commit: ref.Hash().String(), Time: commit.Committer.When, repo: repo, tree: tree}, nil
}

// open opens the bare copy in dir, creating it with url as its origin.
func open(dir, url string) (*git.Repository, error) {
	repo, err := git.PlainOpen(dir)
	if err == nil {
		return repo, nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("opening the cached copy %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("creating the cache directory %s: %w", filepath.Dir(dir), err)
	}
	repo, err = git.PlainInit(dir, true)
	if err != nil {
		return nil, fmt.Errorf("creating the cached copy %s: %w", dir, err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: gitremote.Origin, URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("creating the cached copy %s: %w", dir, err)
	}
	return repo, nil
}

// lock serialises fetches of one copy and returns its unlock.
func (c *Cache) lock(dir string) func() {
	c.mu.Lock()
	l := c.locks[dir]
	if l == nil {
		l = &sync.Mutex{}
		c.locks[dir] = l
	}
	c.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Key is the directory name of url's copy: a readable name plus a hash of
// the URL, so two repositories with the same name do not collide and no
// credential in the URL ends up in a path.
func Key(url string) string {
	sum := sha256.Sum256([]byte(url))
	name := strings.TrimSuffix(path.Base(strings.TrimRight(filepath.ToSlash(url), "/")), ".git")
	name = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, name)
	if len(name) > 40 {
		name = name[:40]
	}
	return name + "-" + hex.EncodeToString(sum[:8])
}
