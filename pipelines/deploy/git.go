package deploy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ResultSchema is the schemaVersion of Result as paved deploy --output json
// prints it (schema/deploy-result.schema.json).
const ResultSchema = "paved.dev/deploy-result/v1"

// Result is the outcome of a change to the GitOps repository.
type Result struct {
	// SchemaVersion is ResultSchema.
	SchemaVersion string `json:"schemaVersion"`
	// Changed is false when the repository already had the change: no commit.
	Changed bool `json:"changed"`
	// Commit is the pushed commit's hash; empty when nothing changed or on a dry run.
	Commit string `json:"commit,omitempty"`
	// Files are the changed files, sorted.
	Files []string `json:"files,omitempty"`
	// Message is the commit message.
	Message string `json:"message,omitempty"`
	// Diff is the unified diff of the change.
	Diff string `json:"diff,omitempty"`
	// Attempts counts the pushes tried (1 unless another push won a race).
	Attempts int `json:"attempts"`
	// Record is the versions.yaml record written, when there is one.
	Record *Record `json:"record,omitempty"`
}

// plan is one computed edit of the repository.
type plan struct {
	changes changes
	message message
	record  *Record
}

// message holds the commit message template's fields.
type message struct {
	Service, Env, Action, OldVersion, NewVersion, Image string
	RunID, TraceID                                      string
}

// mutation computes the edit against the current state of the repository.
// It is called again after a rejected push, on the fresh state.
type mutation func(fsys billy.Filesystem, cfg *Config) (*plan, error)

// transact clones the repository, applies mutate, and commits and pushes the
// result, retrying from a fresh fetch when the push is rejected.
func transact(ctx context.Context, repoURL string, o *options, mutate mutation) (*Result, error) {
	repo, wt, err := clone(ctx, repoURL, o)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		cfg, err := LoadConfig(wt.Filesystem)
		if err != nil {
			return nil, err
		}
		p, err := mutate(wt.Filesystem, cfg)
		if err != nil {
			return nil, err
		}
		res, msg, err := describe(p, o, attempt)
		if err != nil || !res.Changed || o.dryRun {
			return res, err
		}
		hash, err := commit(wt, p, msg, o)
		if err != nil {
			return nil, fmt.Errorf("committing to %s: %w", redactURL(repoURL), err)
		}
		err = repo.PushContext(ctx, &git.PushOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{config.RefSpec("refs/heads/" + o.branch + ":refs/heads/" + o.branch)},
			Auth:       o.auth,
		})
		if err == nil {
			res.Commit = hash
			return res, nil
		}
		if errors.Is(err, git.NoErrAlreadyUpToDate) {
			// Another pipeline pushed this very commit (same change, parent
			// and second): the repository already has it.
			return &Result{SchemaVersion: ResultSchema, Attempts: attempt, Record: p.record}, nil
		}
		if !rejected(err) || attempt >= o.attempts {
			return nil, remoteErr("pushing to", repoURL, o, err)
		}
		if err := sleep(ctx, backoff(o.backoff, attempt)); err != nil {
			return nil, failure.TransientErr(fmt.Errorf("pushing to %s: %w", redactURL(repoURL), err))
		}
		if err := refresh(ctx, repo, wt, o); err != nil {
			return nil, remoteErr("fetching", repoURL, o, err)
		}
	}
}

// describe fills in a Result for the plan and renders the commit message.
func describe(p *plan, o *options, attempt int) (*Result, string, error) {
	res := &Result{SchemaVersion: ResultSchema, Attempts: attempt, Record: p.record}
	if len(p.changes) == 0 {
		return res, "", nil
	}
	msg, err := renderMessage(o.template, p.message)
	if err != nil {
		return nil, "", err
	}
	files := p.changes.sorted()
	res.Changed, res.Message, res.Diff = true, msg, unifiedDiff(files)
	for _, f := range files {
		res.Files = append(res.Files, f.Path)
	}
	return res, msg, nil
}

// renderMessage renders the template and appends the trailers.
func renderMessage(tmpl string, m message) (string, error) {
	t, err := template.New("message").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("parsing the commit message template: %w", err))
	}
	var b strings.Builder
	if err := t.Execute(&b, m); err != nil {
		return "", failure.BadInputErr(fmt.Errorf("rendering the commit message template: %w", err))
	}
	msg := strings.TrimRight(b.String(), "\n")
	var trailers []string
	if m.RunID != "" {
		trailers = append(trailers, "Paved-Run: "+m.RunID)
	}
	if m.TraceID != "" {
		trailers = append(trailers, "Paved-Trace: "+m.TraceID)
	}
	if len(trailers) > 0 {
		msg += "\n\n" + strings.Join(trailers, "\n")
	}
	return msg + "\n", nil
}

// clone fetches the branch into memory.
func clone(ctx context.Context, repoURL string, o *options) (*git.Repository, *git.Worktree, error) {
	repo, err := git.CloneContext(ctx, memory.NewStorage(), memfs.New(), &git.CloneOptions{
		URL:           repoURL,
		Auth:          o.auth,
		ReferenceName: plumbing.NewBranchReferenceName(o.branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		return nil, nil, remoteErr("cloning", repoURL, o, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, nil, fmt.Errorf("cloning %s: %w", redactURL(repoURL), err)
	}
	return repo, wt, nil
}

// commit writes the planned files and commits them.
func commit(wt *git.Worktree, p *plan, msg string, o *options) (string, error) {
	for _, f := range p.changes.sorted() {
		if err := writeFile(wt.Filesystem, f.Path, f.New); err != nil {
			return "", fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if _, err := wt.Add(f.Path); err != nil {
			return "", fmt.Errorf("staging %s: %w", f.Path, err)
		}
	}
	sig := &object.Signature{Name: o.authorName, Email: o.authorEmail, When: o.now()}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// refresh fetches the branch and resets the work tree to it, dropping the
// local commit whose push was rejected.
func refresh(ctx context.Context, repo *git.Repository, wt *git.Worktree, o *options) error {
	remoteRef := plumbing.NewRemoteReferenceName("origin", o.branch)
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec("+refs/heads/" + o.branch + ":" + remoteRef.String())},
		Auth:       o.auth,
		Tags:       git.NoTags,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return err
	}
	ref, err := repo.Reference(remoteRef, true)
	if err != nil {
		return err
	}
	return wt.Reset(&git.ResetOptions{Commit: ref.Hash(), Mode: git.HardReset})
}

// rejected reports whether a push failed because the branch moved.
func rejected(err error) bool {
	if errors.Is(err, git.ErrNonFastForwardUpdate) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref", "failed to lock", "reference has changed", "stale info"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// backoff returns the jittered wait before the attempt after attempt n.
func backoff(base time.Duration, n int) time.Duration {
	d := base << min(n-1, 5)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// remoteErr classifies a git remote error and removes secrets from its text.
func remoteErr(doing, repoURL string, o *options, err error) error {
	u := redactURL(repoURL)
	var hint string
	kind := failure.Internal
	var nerr net.Error
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed), errors.Is(err, transport.ErrInvalidAuthMethod):
		kind, hint = failure.BadInput, "check the git credentials"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		kind, hint = failure.BadInput, "check --repo"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		kind, hint = failure.BadInput, "push a first commit with "+ConfigFile
	case errors.Is(err, plumbing.ErrReferenceNotFound), strings.Contains(err.Error(), "couldn't find remote ref"):
		kind, hint = failure.BadInput, "check the branch"
	case rejected(err):
		kind, hint = failure.Transient, "other pipelines kept pushing first; run again"
	case errors.As(err, &nerr), errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "connection refused"):
		kind, hint = failure.Transient, "check that the repository is reachable, then run again"
	}
	msg := fmt.Sprintf("%s %s: %s", doing, u, scrub(err.Error(), o, repoURL))
	if hint != "" {
		msg += ": " + hint
	}
	re := &redactedErr{msg: msg, err: err}
	switch kind {
	case failure.BadInput:
		return failure.BadInputErr(re)
	case failure.Transient:
		return failure.TransientErr(re)
	}
	return re
}

// redactedErr keeps an error's chain for errors.Is but replaces its text.
type redactedErr struct {
	msg string
	err error
}

func (r *redactedErr) Error() string { return r.msg }
func (r *redactedErr) Unwrap() error { return r.err }

// scrub removes every known secret from an error text.
func scrub(s string, o *options, repoURL string) string {
	secrets := append([]string(nil), o.secrets...)
	if b, ok := o.auth.(*githttp.BasicAuth); ok && b != nil {
		secrets = append(secrets, b.Password)
	}
	if u, err := url.Parse(repoURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
		s = strings.ReplaceAll(s, repoURL, redactURL(repoURL))
	}
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// redactURL hides the password of a URL's user information.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}
