// Package gitremote is paved's one way to talk to a git remote: clone,
// list, fetch and push through go-git, a push retried on the remote's
// fresh state when another writer pushed first (Retry), and every remote
// failure as one *RemoteError whose text holds no credential and whose
// Class maps to paved's failure kinds.
//
// The GitOps deploy (pipelines/deploy), the campaign state and service
// repositories (fleet/campaign) and the fleet mirror (fleet/mirror) all
// use it. It reads no environment and names no CLI flag: the caller hands
// over the URL and the credentials.
package gitremote

import (
	"context"
	"errors"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Origin is the name paved gives the remote in every repository it opens.
const Origin = "origin"

// Remote is a git remote and what paved needs to reach it.
type Remote struct {
	// URL is the remote's URL or path; it may carry credentials, which no
	// error shows.
	URL string
	// Auth is go-git's credentials (http.BasicAuth, ssh.PublicKeys); nil
	// for none.
	Auth transport.AuthMethod
	// Secrets are further strings no error may show (a token handed over
	// by other means than Auth).
	Secrets []string
	// From names where the URL was given ("the fleet file"), for the hint
	// of a repository that is not found; empty for none.
	From string
}

// Clone clones branch of r into memory with a work tree: one branch, no
// tags, the whole history of that branch.
func (r Remote) Clone(ctx context.Context, branch string) (*git.Repository, *git.Worktree, error) {
	repo, err := git.CloneContext(ctx, memory.NewStorage(), memfs.New(), &git.CloneOptions{
		URL:           r.URL,
		Auth:          r.Auth,
		ReferenceName: plumbing.NewBranchReferenceName(branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		return nil, nil, r.Err("cloning", err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, nil, r.Err("cloning", err)
	}
	return repo, wt, nil
}

// Init returns an empty in-memory repository, without a work tree, whose
// Origin is r.
func (r Remote) Init() (*git.Repository, error) {
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: Origin, URLs: []string{r.URL}}); err != nil {
		return nil, err
	}
	return repo, nil
}

// List returns the references of repo's Origin, which is r.
func (r Remote) List(ctx context.Context, repo *git.Repository) ([]*plumbing.Reference, error) {
	rem, err := repo.Remote(Origin)
	if err != nil {
		return nil, err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: r.Auth})
	if err != nil {
		return nil, r.Err("listing the branches of", err)
	}
	return refs, nil
}

// Fetch fetches specs from repo's Origin, which is r, without tags, at
// depth (0: the whole history). Nothing new to fetch is no error.
func (r Remote) Fetch(ctx context.Context, repo *git.Repository, depth int, specs ...config.RefSpec) error {
	err := repo.FetchContext(ctx, &git.FetchOptions{RemoteName: Origin, RefSpecs: specs, Depth: depth, Auth: r.Auth, Tags: git.NoTags, Force: true})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return r.Err("fetching", err)
	}
	return nil
}

// Push pushes specs to repo's Origin, which is r. A remote that already
// has them returns git.NoErrAlreadyUpToDate as it is; a push refused
// because the branch moved is a *RemoteError of ClassRejected wrapping
// ErrRejected.
func (r Remote) Push(ctx context.Context, repo *git.Repository, specs ...config.RefSpec) error {
	err := repo.PushContext(ctx, &git.PushOptions{RemoteName: Origin, RefSpecs: specs, Auth: r.Auth})
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return err
	}
	return r.Err(pushOp(specs), err)
}

// pushOp names a push in its error: "pushing main to", "deleting x of".
func pushOp(specs []config.RefSpec) string {
	if len(specs) != 1 {
		return "pushing to"
	}
	dst := specs[0].Dst("").Short()
	if specs[0].IsDelete() {
		return "deleting " + dst + " of"
	}
	return "pushing " + dst + " to"
}

// Reset fetches branch from repo's Origin, which is r, and resets wt hard
// to its tip, dropping local commits: the fresh state a rejected push is
// re-applied on.
func (r Remote) Reset(ctx context.Context, repo *git.Repository, wt *git.Worktree, branch string) error {
	tracking := plumbing.NewRemoteReferenceName(Origin, branch)
	if err := r.Fetch(ctx, repo, 0, config.RefSpec("+"+plumbing.NewBranchReferenceName(branch).String()+":"+tracking.String())); err != nil {
		return err
	}
	ref, err := repo.Reference(tracking, true)
	if err != nil {
		return r.Err("fetching", err)
	}
	return wt.Reset(&git.ResetOptions{Commit: ref.Hash(), Mode: git.HardReset})
}

// password is the secret of an HTTP basic auth or token auth, "" for any
// other.
func password(a transport.AuthMethod) string {
	switch a := a.(type) {
	case *githttp.BasicAuth:
		if a != nil {
			return a.Password
		}
	case *githttp.TokenAuth:
		if a != nil {
			return a.Token
		}
	}
	return ""
}
