package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/redact"
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
// result; a push rejected because another writer pushed first is retried
// on the remote's fresh state (gitremote.Retry: fetch, reset, mutate again).
func transact(ctx context.Context, repoURL string, o *options, mutate mutation) (*Result, error) {
	remote := o.remote(repoURL)
	repo, wt, err := remote.Clone(ctx, o.branch)
	if err != nil {
		return nil, err
	}
	var res *Result
	err = gitremote.Retry(ctx, o.retry(), func(attempt int) error {
		if attempt > 1 {
			if err := remote.Reset(ctx, repo, wt, o.branch); err != nil {
				return err
			}
		}
		res, err = apply(ctx, remote, repo, wt, o, mutate, attempt)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// apply is one attempt of transact: mutate, commit and push.
func apply(ctx context.Context, remote gitremote.Remote, repo *git.Repository, wt *git.Worktree, o *options, mutate mutation, attempt int) (*Result, error) {
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
		return nil, fmt.Errorf("committing to %s: %w", redact.URL(remote.URL), err)
	}
	branch := config.RefSpec("refs/heads/" + o.branch + ":refs/heads/" + o.branch)
	err = remote.Push(ctx, repo, branch)
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		// Another pipeline pushed this very commit (same change, parent
		// and second): the repository already has it.
		return &Result{SchemaVersion: ResultSchema, Attempts: attempt, Record: p.record}, nil
	}
	if err != nil {
		return nil, err
	}
	res.Commit = hash
	return res, nil
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
