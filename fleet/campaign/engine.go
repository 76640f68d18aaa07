package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// Engine runs campaigns kept in a Store.
type Engine struct {
	store   Store
	changes fleet.Changes
	plain   bool // changes are plain-git branches, which paved merges itself
	auth    transport.AuthMethod
	sig     gitrepo.Signature
}

// Option configures an Engine.
type Option func(*Engine)

// WithChanges opens changes through a forge (default: plain git, where
// the change is the branch and paved merges it with auto-merge).
func WithChanges(c fleet.Changes) Option {
	return func(e *Engine) { e.changes = c; _, e.plain = c.(*gitrepo.Changes) }
}

// WithGitAuth sets the credentials of every clone and push.
func WithGitAuth(a transport.AuthMethod) Option { return func(e *Engine) { e.auth = a } }

// WithSignature sets the author of bump, merge and revert commits and the
// clock of the campaign (default paved <paved@localhost>, time.Now).
func WithSignature(s gitrepo.Signature) Option { return func(e *Engine) { e.sig = s } }

// New returns an engine over store.
func New(store Store, opts ...Option) *Engine {
	e := &Engine{store: store}
	for _, o := range opts {
		o(e)
	}
	if e.changes == nil {
		e.changes, e.plain = gitrepo.NewChanges(e.auth), true
	}
	return e
}

func (e *Engine) now() time.Time { return now(e.sig) }

// Spec is a campaign to start.
type Spec struct {
	// ID defaults to DefaultID(Target).
	ID          string
	Target      rewrite.Target
	Services    []fleet.Service
	Waves       []WaveSpec
	MaxInFlight int
	Health      Health
	Policy      *PolicyFile
	// GitOps is the fleet's GitOps repository, read for deploy records.
	GitOps *fleet.GitOps
}

// Start plans the waves of a new campaign and stores it. It refuses a
// target another active campaign holds.
func (e *Engine) Start(ctx context.Context, spec Spec) (*Campaign, error) {
	bad := func(format string, a ...any) error { return failure.BadInputErr(fmt.Errorf(format, a...)) }
	if err := spec.Target.Validate(); err != nil {
		return nil, err
	}
	if spec.ID == "" {
		spec.ID = DefaultID(spec.Target)
	}
	switch {
	case !validID.MatchString(spec.ID):
		return nil, bad("campaign id %q: use lower-case letters, digits, dots and dashes", spec.ID)
	case spec.MaxInFlight < 1:
		return nil, bad("max in flight %d: use 1 or more", spec.MaxInFlight)
	case spec.Health.Ratio < 0 || spec.Health.Ratio > 1:
		return nil, bad("health ratio %g: use a number from 0 to 1, e.g. 0.95", spec.Health.Ratio)
	case spec.Health.Window <= 0:
		return nil, bad("health window %s: use a positive duration, e.g. 24h", time.Duration(spec.Health.Window))
	case !validCheck(spec.Health.Check):
		return nil, bad("health check %q: not a valid name pattern: use the CI job's status name, e.g. \"paved\" or \"ci / paved*\"", spec.Health.Check)
	case spec.GitOps != nil && redact.HasCredentials(spec.GitOps.Repository):
		return nil, bad("GitOps repository %s %w: remove them from the URL", redact.URL(spec.GitOps.Repository), ErrCredentialsInURL)
	}
	for _, s := range spec.Services {
		if redact.HasCredentials(s.Repository) {
			return nil, bad("service %s: repository %s %w, which would be written to the campaign state: remove them from the URL", s.Name, redact.URL(s.Repository), ErrCredentialsInURL)
		}
	}
	if spec.Policy != nil && redact.HasCredentials(spec.Policy.Repository) {
		return nil, bad("policy repository %s %w: remove them from the URL", redact.URL(spec.Policy.Repository), ErrCredentialsInURL)
	}
	waves, services, err := Plan(spec.Waves, spec.Services)
	if err != nil {
		return nil, err
	}
	t := e.now()
	c := &Campaign{
		APIVersion: APIVersion, Kind: Kind, ID: spec.ID, Target: spec.Target, State: Running,
		MaxInFlight: spec.MaxInFlight, Health: spec.Health, Policy: spec.Policy, GitOps: spec.GitOps,
		Wave: -1, Waves: waves, Services: services, CreatedAt: t, UpdatedAt: t,
	}
	detail := fmt.Sprintf("%s %s→%s, %d services in %d waves", c.Target.Kind, or(c.Target.From, "*"), c.Target.To, len(services), len(waves))
	if err := e.store.Create(ctx, c, Transition{Action: "started", Detail: detail}); err != nil {
		return nil, err
	}
	return c, nil
}

// AdvanceOptions tune one Advance.
type AdvanceOptions struct {
	// AutoMerge merges the open bumps of the wave: plain-git branches, and
	// changes on a forge that merges through its API (fleet.Merger, as
	// Gitea does). Otherwise changes are merged on the forge and Advance
	// records them.
	AutoMerge bool
	// DenyOldBaseFrom, when set on a base campaign, adds the old base to
	// the platform policy, denied from that day (see DenyOldBase), once
	// the campaign is done (every wave passed its gate): an Advance that
	// leaves it running denies nothing, so a canary cannot lock the rest
	// of the fleet out of its old base. Rollback lifts the denial.
	DenyOldBaseFrom time.Time
}

// ErrHalted is wrapped by Advance's error for a halted campaign.
var ErrHalted = errors.New("the campaign is halted")

// ErrCredentialsInURL is returned (wrapped, as bad input) when a repository
// URL of a campaign carries credentials: the URL is written to the campaign
// state, so the token goes to the forge another way.
var ErrCredentialsInURL = errors.New("carries credentials")

// Advance moves campaign id as far as it can now: it opens (and with
// AutoMerge merges) the bumps of the current wave, records merges,
// retries failed services, and once the wave's services are all merged
// (or failed), checks its health gate: passed, the next wave starts in the
// same call; failed, the campaign halts (a policy error naming the
// failing services and steps); otherwise it waits, saying who is missing.
// Per-service failures are recorded and returned together (a bad-input
// or transient error) after every other service was worked on.
func (e *Engine) Advance(ctx context.Context, id string, o AdvanceOptions) (*Campaign, error) {
	c, err := e.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	var failed []error
	for {
		switch c.State {
		case Halted:
			return c, failure.PolicyErr(fmt.Errorf("advancing campaign %q: %w: %s: fix the cause and resume it (paved fleet campaign resume), or roll it back (paved fleet campaign rollback)", id, ErrHalted, c.Reason))
		case Done:
			if !o.DenyOldBaseFrom.IsZero() {
				if c, err = e.DenyOldBase(ctx, id, o.DenyOldBaseFrom); err != nil {
					return c, err
				}
			}
			return c, joinFailures(failed)
		case RolledBack:
			return c, failure.BadInputErr(fmt.Errorf("advancing campaign %q: it was rolled back: start a new campaign", id))
		}
		if c.Wave < 0 {
			if c, err = e.startWave(ctx, c, 0); err != nil {
				return c, err
			}
		}
		var errs []error
		c, errs, err = e.work(ctx, c, o)
		if err != nil {
			return c, err
		}
		failed = latestPerService(append(failed, errs...))
		var passed bool
		c, passed, err = e.gate(ctx, c)
		if err == nil && c.State == Done {
			continue // the last wave passed: deny the old base if asked
		}
		if err != nil || !passed {
			if jf := joinFailures(failed); err == nil {
				err = jf
			} else if jf != nil {
				// The halt classifies the error; the services that could
				// not be moved are still named.
				err = fmt.Errorf("%w; %w", err, jf)
			}
			return c, err
		}
	}
}

// startWave records that wave w starts.
func (e *Engine) startWave(ctx context.Context, c *Campaign, w int) (*Campaign, error) {
	t := e.now()
	return e.store.Update(ctx, c.ID, &Transition{Action: "wave-started", Detail: c.Waves[w].Name}, func(c *Campaign) error {
		if c.Wave >= w {
			return nil
		}
		c.Wave = w
		c.Waves[w].StartedAt = &t
		return nil
	})
}

// work runs the service actions of every started wave, at most
// MaxInFlight at once, and returns the updated campaign and the
// per-service failures.
func (e *Engine) work(ctx context.Context, c *Campaign, o AdvanceOptions) (*Campaign, []error, error) {
	var todo []Service
	for _, s := range c.Services {
		if s.Wave <= c.Wave && (s.Status == Pending || s.Status == Failed || s.Status == Opened) {
			todo = append(todo, s)
		}
	}
	var (
		mu     sync.Mutex
		errs   []error
		latest = c
	)
	fatal := forEach(ctx, c.MaxInFlight, len(todo), func(i int) error {
		s := todo[i]
		last, err := e.service(ctx, c, s, o)
		if last != nil {
			mu.Lock()
			if last.UpdatedAt.After(latest.UpdatedAt) || latest == c {
				latest = last
			}
			mu.Unlock()
		}
		if err == nil {
			return nil
		}
		if isStoreErr(err) {
			return err
		}
		mu.Lock()
		errs = append(errs, &serviceErr{name: s.Name, err: err})
		mu.Unlock()
		return nil
	})
	if fatal != nil {
		return latest, nil, fatal
	}
	c, err := e.store.Load(ctx, c.ID)
	return c, errs, err
}

// storeErr marks a failure to write the state, which stops the run.
type storeErr struct{ error }

func (s storeErr) Unwrap() error { return s.error }

func isStoreErr(err error) bool {
	var s storeErr
	return errors.As(err, &s)
}

// forEach calls fn for 0..n-1 with at most limit calls at once; the first
// error it returns stops new calls and is returned.
func forEach(ctx context.Context, limit, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(limit, 1))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := recovered(fn, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	return first
}

// recovered calls fn(i), turning a panic into an internal failure.
func recovered(fn func(int) error, i int) (err error) {
	defer failure.Recover(&err)
	return fn(i)
}

// serviceErr is one service's failure in an Advance.
type serviceErr struct {
	name string
	err  error
}

func (e *serviceErr) Error() string { return e.name + ": " + e.err.Error() }
func (e *serviceErr) Unwrap() error { return e.err }

// latestPerService keeps the last failure of each service: a service
// retried as a later wave starts in the same Advance counts once.
func latestPerService(errs []error) []error {
	at := map[string]int{}
	var out []error
	for _, err := range errs {
		var se *serviceErr
		if !errors.As(err, &se) {
			out = append(out, err)
			continue
		}
		if i, ok := at[se.name]; ok {
			out[i] = err
			continue
		}
		at[se.name] = len(out)
		out = append(out, err)
	}
	return out
}

// joinFailures joins per-service failures into one error: transient when
// any is (running again may help), bad input when all are, else internal.
func joinFailures(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	kind := failure.BadInput
	var lines []string
	for _, err := range errs {
		switch k := failure.KindOf(err); {
		case k == failure.Transient:
			kind = failure.Transient
		case k != failure.BadInput && kind != failure.Transient:
			kind = failure.Internal
		}
		lines = append(lines, err.Error())
	}
	err := &serviceErrors{msg: fmt.Sprintf("%d %s could not be moved (the others were): %s", len(errs), plural(len(errs), "service", "services"), strings.Join(lines, "; ")), errs: errs}
	switch kind {
	case failure.Transient:
		return failure.TransientErr(err)
	case failure.BadInput:
		return failure.BadInputErr(err)
	}
	return err
}

// serviceErrors keeps every per-service error for errors.Is and As.
type serviceErrors struct {
	msg  string
	errs []error
}

func (e *serviceErrors) Error() string   { return e.msg }
func (e *serviceErrors) Unwrap() []error { return e.errs }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
