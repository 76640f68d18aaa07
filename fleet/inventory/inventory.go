// Package inventory reads a fleet: for every service repository, the paved
// version its CI wrappers pin, its base images and Terraform module refs;
// from the GitOps repository, what runs in every environment and on which
// base. Repositories are read concurrently with a bound through a shallow,
// updatable local mirror; one unreadable repository is reported, not fatal.
package inventory

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/mirror"
	"github.com/paved-dev/paved/fleet/pin"
)

// Schema identifies the JSON form of an Inventory.
const Schema = "paved.dev/fleet-inventory/v1"

// Statuses of a service's paved pin.
const (
	StatusCurrent     = "current"     // pins the newest version
	StatusOutdated    = "outdated"    // pins an older version
	StatusUnpinned    = "unpinned"    // no paved pin found
	StatusNotSemver   = "not-semver"  // a pin is a branch, a SHA or a floating tag
	StatusConflict    = "conflict"    // pins disagree
	StatusUnreachable = "unreachable" // the repository could not be read
)

// Inventory is the state of a fleet at one time.
type Inventory struct {
	Schema      string    `json:"schema"`
	GeneratedAt time.Time `json:"generatedAt"`
	// Latest is the newest paved version: given, or the newest pinned.
	Latest   string    `json:"latest,omitempty"`
	Services []Service `json:"services"`
	GitOps   *GitOps   `json:"gitops,omitempty"`
	// Query is set when the inventory answers a --uses-base question.
	Query *Matches `json:"query,omitempty"`
}

// Service is what one service repository pins and deploys.
type Service struct {
	Name       string `json:"name"`
	Repository string `json:"repository"`
	Tier       string `json:"tier,omitempty"`
	Team       string `json:"team,omitempty"`
	// Commit is the SHA read (the tip of the branch).
	Commit string `json:"commit,omitempty"`
	// Paved is the pinned paved version, when the pins agree on one.
	Paved  string `json:"paved,omitempty"`
	Status string `json:"status"`
	// Blocked lists why a campaign cannot move this service as it is.
	Blocked []string  `json:"blocked,omitempty"`
	Pins    []pin.Pin `json:"pins,omitempty"`
	Bases   []pin.Pin `json:"bases,omitempty"`
	Modules []pin.Pin `json:"modules,omitempty"`
	// Deployed is one entry per environment, in environment name order.
	Deployed []Deployment `json:"deployed,omitempty"`
	// Warnings are files that could not be parsed.
	Warnings []string `json:"warnings,omitempty"`
	// Error says why the repository could not be read; ErrorKind is its
	// class (bad input, transient, internal).
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"errorKind,omitempty"`
}

// Run reads every service of f and its GitOps repository. It fails only
// when the fleet itself cannot be resolved (a forge discovery failed) or
// the context ends; a repository that cannot be read is reported in its
// Service, the GitOps repository in GitOps.Error.
func Run(ctx context.Context, f *fleet.Fleet, opts ...Option) (*Inventory, error) {
	o := defaults()
	for _, opt := range opts {
		opt(o)
	}
	services, err := f.Resolve(ctx, o.forges)
	if err != nil {
		return nil, err
	}
	cache, cleanup, err := o.cache()
	if err != nil {
		return nil, err
	}
	defer cleanup()

	inv := &Inventory{Schema: Schema, GeneratedAt: o.now().UTC(), Services: make([]Service, len(services))}
	each(ctx, len(services), o.jobs, func(i int) {
		inv.Services[i] = readService(ctx, cache, services[i])
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(inv.Services, func(i, j int) bool { return inv.Services[i].Name < inv.Services[j].Name })
	if f.GitOps.Repository != "" {
		inv.GitOps = readGitOps(ctx, cache, f.GitOps, inv.Services, o)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv.assess(o)
	return inv, nil
}

// cache opens the mirror, in a temporary directory when none was given.
func (o *options) cache() (*mirror.Cache, func(), error) {
	if o.cacheDir != "" {
		return mirror.New(o.cacheDir, mirror.WithAuth(o.gitAuth)), func() {}, nil
	}
	dir, err := os.MkdirTemp("", "paved-fleet-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating a repository cache: %w", err)
	}
	return mirror.New(dir, mirror.WithAuth(o.gitAuth)), func() { os.RemoveAll(dir) }, nil
}

// each calls fn(0..n-1) on at most jobs goroutines and waits for them; it
// stops handing out work when ctx ends.
func each(ctx context.Context, n, jobs int, fn func(i int)) {
	next := make(chan int)
	done := make(chan struct{})
	if jobs > n {
		jobs = n
	}
	for w := 0; w < jobs; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	for w := 0; w < jobs; w++ {
		<-done
	}
}
