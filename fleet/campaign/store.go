package campaign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/gitremote"
	"github.com/paved-dev/paved/pipelines/redact"
	"github.com/paved-dev/paved/pipelines/yamldoc"
)

// Store keeps campaign documents.
type Store interface {
	// Load returns the latest state of campaign id, or an error wrapping
	// ErrNotFound.
	Load(ctx context.Context, id string) (*Campaign, error)
	// List returns every campaign, sorted by id.
	List(ctx context.Context) ([]*Campaign, error)
	// Create stores a new campaign. It refuses an id already taken
	// (ErrExists) and a target overlapping one an active campaign holds
	// (ErrConflict, see rewrite.Target.Overlaps), naming that campaign.
	Create(ctx context.Context, c *Campaign, t Transition) error
	// Update applies fn to the latest state of campaign id and stores the
	// result, described by t (which fn may refine). fn may run more than once (again on fresher
	// state when another writer got there first), so it must set state
	// rather than count on what it saw, and leave the campaign untouched
	// when it returns an error.
	Update(ctx context.Context, id string, t *Transition, fn func(*Campaign) error) (*Campaign, error)
}

// Transition describes a state change for the commit that stores it.
type Transition struct {
	// Action is what happened: started, wave-started, opened, merged,
	// failed, health, halted, advanced, reverted, closed, rolled-back,
	// denied.
	Action string
	// Service is the service it happened to, if one.
	Service string
	// Detail is a free-form line for the commit body.
	Detail string
}

func (t Transition) line() string {
	s := t.Action
	if t.Service != "" {
		s += " " + t.Service
	}
	if t.Detail != "" {
		s += ": " + t.Detail
	}
	// One line: free text (a halt reason) must not add commit trailers.
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
}

// Store errors.
var (
	ErrNotFound = errors.New("no such campaign")
	ErrExists   = errors.New("a campaign with this id exists")
	ErrConflict = errors.New("an active campaign already moves this target")
)

// Dir is the directory of campaign documents in the state repository.
const Dir = "campaigns"

// File is the path of campaign id's document in the state repository.
func File(id string) string { return Dir + "/" + id + ".yaml" }

// GitStore keeps campaigns in a git repository, one commit per
// transition, with Paved-Campaign, Paved-Transition and Paved-Service
// trailers. Writers in one process are batched into one commit; a push
// rejected because another process pushed first is retried on the fresh
// state (fetch, re-apply, push) with jittered backoff, so no write is lost
// and the document is never half-written.
type GitStore struct {
	url, branch string
	auth        transport.AuthMethod
	sig         gitrepo.Signature
	retry       gitremote.Backoff

	write sync.Mutex // one push at a time
	qmu   sync.Mutex
	queue []*pending
	repo  *gitrepo.Repo // the clone of the last write, nil after a rejection
}

// NewGitStore returns a store in the repository url, branch branch (the
// remote's HEAD when empty).
func NewGitStore(url, branch string, auth transport.AuthMethod, sig gitrepo.Signature) *GitStore {
	return &GitStore{url: url, branch: branch, auth: auth, sig: sig, retry: storeRetry}
}

// storeRetry is the backoff of a rejected state push: 20 tries, waiting
// 25-50 ms first, doubling up to 0.8-1.6 s.
var storeRetry = gitremote.Backoff{Attempts: 20, First: 50 * time.Millisecond, Max: 1600 * time.Millisecond}

// pending is one write waiting for a commit.
type pending struct {
	t     *Transition
	id    string
	apply func(tx *txn) (*Campaign, error)
	res   *Campaign
	err   error
	done  bool
}

// Load implements Store.
func (s *GitStore) Load(ctx context.Context, id string) (*Campaign, error) {
	tx, err := s.fresh(ctx)
	if err != nil {
		return nil, err
	}
	return tx.load(id)
}

// List implements Store.
func (s *GitStore) List(ctx context.Context) ([]*Campaign, error) {
	tx, err := s.fresh(ctx)
	if err != nil {
		return nil, err
	}
	return tx.list()
}

// Create implements Store.
func (s *GitStore) Create(ctx context.Context, c *Campaign, t Transition) error {
	_, err := s.do(ctx, &pending{t: &t, id: c.ID, apply: func(tx *txn) (*Campaign, error) {
		all, err := tx.list()
		if err != nil {
			return nil, err
		}
		for _, o := range all {
			if o.ID == c.ID {
				return nil, failure.BadInputErr(fmt.Errorf("starting campaign %q: %w (state %s): choose another --id", c.ID, ErrExists, o.State))
			}
			if o.Active() && o.Target.Overlaps(c.Target) {
				return nil, failure.BadInputErr(fmt.Errorf("starting campaign %q: %w: campaign %q (state %s, to %s); halt and roll it back, or let it finish", c.ID, ErrConflict, o.ID, o.State, o.Target.To))
			}
		}
		cp := *c
		return &cp, tx.put(&cp)
	}})
	return err
}

// Update implements Store.
func (s *GitStore) Update(ctx context.Context, id string, t *Transition, fn func(*Campaign) error) (*Campaign, error) {
	return s.do(ctx, &pending{t: t, id: id, apply: func(tx *txn) (*Campaign, error) {
		c, err := tx.load(id)
		if err != nil {
			return nil, err
		}
		if err := fn(c); err != nil {
			return nil, err
		}
		return c, tx.put(c)
	}})
}

// do queues p and commits it, with whatever else is queued, unless a
// concurrent writer already did.
func (s *GitStore) do(ctx context.Context, p *pending) (*Campaign, error) {
	s.qmu.Lock()
	s.queue = append(s.queue, p)
	s.qmu.Unlock()
	s.write.Lock()
	defer s.write.Unlock()
	if p.done {
		return p.res, p.err
	}
	s.qmu.Lock()
	batch := s.queue
	s.queue = nil
	s.qmu.Unlock()
	err := s.commit(ctx, batch)
	for _, b := range batch {
		if err != nil && b.err == nil {
			b.err = err
		}
		b.done = true
	}
	return p.res, p.err
}

// commit applies batch to the latest state and pushes it; a push rejected
// because another process pushed first is tried again on a fresh clone
// (gitremote.Retry).
func (s *GitStore) commit(ctx context.Context, batch []*pending) error {
	return gitremote.Retry(ctx, s.retry, func(int) error {
		err := s.commitOnce(ctx, batch)
		if err != nil {
			s.repo = nil
		}
		return err
	})
}

// commitOnce applies batch to the state of the last clone (a fresh one
// when there is none) and pushes it.
func (s *GitStore) commitOnce(ctx context.Context, batch []*pending) error {
	if s.repo == nil {
		r, err := gitrepo.Clone(ctx, s.url, s.branch, s.auth)
		if err != nil {
			return fmt.Errorf("reading the campaign state: %w", err)
		}
		s.repo = r
	}
	tx := &txn{s: s, changes: map[string][]byte{}}
	tx.tip, _ = s.repo.Tip(s.repo.Base)
	var done []*pending
	for _, b := range batch {
		fork := tx.fork()
		b.res, b.err = b.apply(fork)
		if b.err == nil {
			tx.changes = fork.changes
			done = append(done, b)
		}
	}
	if len(done) == 0 {
		return nil
	}
	h, err := s.repo.Write([]plumbing.Hash{tx.tip}, tx.changes, message(done), s.sig)
	if err == nil {
		err = s.repo.Push(ctx, s.repo.Base, h)
	}
	if err != nil {
		return fmt.Errorf("writing the campaign state: %w", err)
	}
	return nil
}

// fresh clones the state repository for a read.
func (s *GitStore) fresh(ctx context.Context) (*txn, error) {
	r, err := gitrepo.Clone(ctx, s.url, s.branch, s.auth)
	if err != nil {
		return nil, fmt.Errorf("reading the campaign state: %w", err)
	}
	tx := &txn{s: &GitStore{repo: r}, changes: map[string][]byte{}}
	tx.tip, _ = r.Tip(r.Base)
	return tx, nil
}

// message is the commit message of a batch of transitions.
func message(batch []*pending) string {
	var b strings.Builder
	if len(batch) == 1 {
		fmt.Fprintf(&b, "campaign %s: %s\n\n", batch[0].id, batch[0].t.line())
	} else {
		fmt.Fprintf(&b, "campaign %s: %d transitions\n\n", batch[0].id, len(batch))
		for _, p := range batch {
			fmt.Fprintf(&b, "- %s: %s\n", p.id, p.t.line())
		}
		b.WriteString("\n")
	}
	seen := map[string]bool{}
	for _, p := range batch {
		for _, tr := range []string{"Paved-Campaign: " + p.id, "Paved-Transition: " + p.t.Action, "Paved-Service: " + p.t.Service} {
			if !seen[tr] && !strings.HasSuffix(tr, ": ") {
				seen[tr] = true
				b.WriteString(tr + "\n")
			}
		}
	}
	return b.String()
}

// txn reads campaign documents at a commit, plus the writes of the batch
// so far.
type txn struct {
	s       *GitStore
	tip     plumbing.Hash
	changes map[string][]byte
}

// fork returns a txn whose writes do not reach t until merged, so a
// failed write leaves nothing behind.
func (t *txn) fork() *txn {
	return &txn{s: t.s, tip: t.tip, changes: cloneMap(t.changes)}
}

func cloneMap(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (t *txn) load(id string) (*Campaign, error) {
	p := File(id)
	data, ok := t.changes[p]
	if !ok {
		var err error
		data, err = t.s.repo.ReadFile(t.tip, p)
		if errors.Is(err, gitrepo.ErrNoFile) || t.tip.IsZero() {
			return nil, failure.BadInputErr(fmt.Errorf("loading campaign %q: %w in %s: check the id (paved fleet campaign status lists them)", id, ErrNotFound, redact.URL(t.s.repo.URL)))
		}
		if err != nil {
			return nil, err
		}
	}
	return decode(p, data)
}

func (t *txn) list() ([]*Campaign, error) {
	var out []*Campaign
	seen := map[string]bool{}
	if !t.tip.IsZero() {
		files, err := t.s.repo.Files(t.tip, func(p string) bool { return path.Dir(p) == Dir && strings.HasSuffix(p, ".yaml") })
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data := f.Data
			if d, ok := t.changes[f.Path]; ok {
				data = d
			}
			seen[f.Path] = true
			c, err := decode(f.Path, data)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	for p, data := range t.changes {
		if !seen[p] {
			c, err := decode(p, data)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (t *txn) put(c *Campaign) error {
	c.UpdatedAt = now(t.s.sig)
	data, err := encode(c)
	if err != nil {
		return err
	}
	t.changes[File(c.ID)] = data
	return nil
}

func now(sig gitrepo.Signature) time.Time {
	if sig.Now != nil {
		return sig.Now().UTC()
	}
	return time.Now().UTC()
}

func encode(c *Campaign) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding campaign %q: %w", c.ID, err)
	}
	return b.Bytes(), enc.Close()
}

// decode reads a campaign document strictly: an unknown key or a wrong
// apiVersion is an error, never a partial campaign.
func decode(file string, data []byte) (*Campaign, error) {
	c := &Campaign{}
	if err := yamldoc.Decode(data, c, yamldoc.Type{APIVersion: APIVersion, Kind: Kind, Noun: "campaign state"}); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: %w", file, err))
	}
	if err := c.validate(); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: %w", file, err))
	}
	return c, nil
}
