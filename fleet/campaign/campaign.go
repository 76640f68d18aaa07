// Package campaign moves a fleet of service repositories to a new paved
// version, base image or Terraform module ref in waves, with health gates
// between waves, and rolls it back with forward commits.
//
// A campaign's state is a YAML document (apiVersion paved.dev/v1, kind
// Campaign) committed to a state repository on every transition, so any
// process can pick it up and every step is in the repository's history.
// Every per-service action is idempotent (an existing branch, change,
// merge or revert is found and reused), so running Advance again after a
// crash converges instead of duplicating work.
package campaign

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
)

// APIVersion and Kind identify a campaign document.
const (
	APIVersion = "paved.dev/v1"
	Kind       = "Campaign"
)

// State is where a campaign stands.
type State string

// Campaign states. Running and halted campaigns are active: they hold
// their target against a second campaign.
const (
	Running    State = "running"
	Halted     State = "halted"
	Done       State = "done"
	RolledBack State = "rolled-back"
)

// Status is where one service stands in its campaign.
type Status string

// Service statuses, in the order a service goes through them.
const (
	// Pending: its wave has not reached it yet.
	Pending Status = "pending"
	// Opened: the bump branch is pushed and its change is open.
	Opened Status = "opened"
	// Merged: the bump is on the base branch (MergeCommit).
	Merged Status = "merged"
	// Current: the repository already pinned the target; nothing to do.
	Current Status = "current"
	// Skipped: a base or module campaign's service that does not use the
	// old base or module.
	Skipped Status = "skipped"
	// Failed: the service could not be bumped (Error says why); advancing
	// again retries it.
	Failed Status = "failed"
	// Closed: rollback closed its unmerged change.
	Closed Status = "closed"
	// Reverted: rollback reverted its merged bump (RevertCommit).
	Reverted Status = "reverted"
)

// Campaign is the state of one campaign, the document kept in the state
// repository at campaigns/<id>.yaml. Times are UTC.
type Campaign struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	// ID names the campaign and its branches: paved/campaign/<id>.
	ID     string         `yaml:"id" json:"id"`
	Target rewrite.Target `yaml:"target" json:"target"`
	State  State          `yaml:"state" json:"state"`
	// Reason says why the campaign halted or was rolled back.
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
	// MaxInFlight bounds the services worked on at once.
	MaxInFlight int    `yaml:"maxInFlight" json:"maxInFlight"`
	Health      Health `yaml:"health" json:"health"`
	// Policy is the platform policy file a base campaign may add the old
	// base's denial to.
	Policy *PolicyFile `yaml:"policy,omitempty" json:"policy,omitempty"`
	// GitOps is the GitOps repository whose versions.yaml deploy records
	// are health evidence; nil when the fleet names none.
	GitOps *fleet.GitOps `yaml:"gitops,omitempty" json:"gitops,omitempty"`
	// Denial records the denial added to the policy, once added.
	Denial *Denial `yaml:"denial,omitempty" json:"denial,omitempty"`
	// Wave is the index of the wave in progress; -1 before the first.
	Wave      int       `yaml:"wave" json:"wave"`
	Waves     []Wave    `yaml:"waves" json:"waves"`
	Services  []Service `yaml:"services" json:"services"`
	CreatedAt time.Time `yaml:"createdAt" json:"createdAt"`
	UpdatedAt time.Time `yaml:"updatedAt" json:"updatedAt"`
}

// Health is a campaign's gate between waves: a wave passes when the share
// of its merged services whose latest run on the bump (or later) succeeded
// reaches Ratio within Window of their merge.
type Health struct {
	Ratio  float64  `yaml:"ratio" json:"ratio"`
	Window Duration `yaml:"window" json:"window"`
	// Check names paved's CI job among the forge's results on a commit
	// (a status context, check run or job name; a path.Match pattern such
	// as "ci / paved*"). Empty: the forge's results are not read.
	Check string `yaml:"check,omitempty" json:"check,omitempty"`
}

// Duration is a time.Duration written as text ("24h0m0s").
type Duration time.Duration

// MarshalText writes d as time.Duration's String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a time.ParseDuration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// PolicyFile is a policy file in a git repository.
type PolicyFile struct {
	Repository string `yaml:"repository" json:"repository"`
	Branch     string `yaml:"branch,omitempty" json:"branch,omitempty"`
	Path       string `yaml:"path" json:"path"`
}

// Denial is a denial a campaign added to the platform policy: Commit the
// policy commit that added it (empty when the policy already denied the
// image), LiftedBy rollback's forward revert of that commit.
type Denial struct {
	Image    string `yaml:"image" json:"image"`
	From     string `yaml:"from" json:"from"`
	Commit   string `yaml:"commit" json:"commit"`
	LiftedBy string `yaml:"liftedBy,omitempty" json:"liftedBy,omitempty"`
}

// Wave is one wave of a campaign.
type Wave struct {
	Name     string   `yaml:"name" json:"name"`
	Services []string `yaml:"services" json:"services"`
	// StartedAt is when the wave's bumps began, PassedAt when its health
	// gate passed.
	StartedAt *time.Time `yaml:"startedAt,omitempty" json:"startedAt,omitempty"`
	PassedAt  *time.Time `yaml:"passedAt,omitempty" json:"passedAt,omitempty"`
}

// Service is one service of a campaign.
type Service struct {
	Name       string `yaml:"name" json:"name"`
	Repository string `yaml:"repository" json:"repository"`
	// Branch is the base branch ("" until first cloned: the remote's HEAD).
	Branch string `yaml:"branch,omitempty" json:"branch,omitempty"`
	Tier   string `yaml:"tier,omitempty" json:"tier,omitempty"`
	Wave   int    `yaml:"wave" json:"wave"`
	Status Status `yaml:"status" json:"status"`
	// Edits are the pins the bump moved.
	Edits []rewrite.Edit `yaml:"edits,omitempty" json:"edits,omitempty"`
	// BumpCommit is the bump on the campaign branch; Change the change
	// proposing it; MergedAt when the campaign saw it merged.
	BumpCommit string        `yaml:"bumpCommit,omitempty" json:"bumpCommit,omitempty"`
	Change     *fleet.Change `yaml:"change,omitempty" json:"change,omitempty"`
	MergedAt   *time.Time    `yaml:"mergedAt,omitempty" json:"mergedAt,omitempty"`
	// RevertCommit is rollback's forward revert on the base branch.
	RevertCommit string `yaml:"revertCommit,omitempty" json:"revertCommit,omitempty"`
	// Error is the last failure, ErrorKind its class (bad input,
	// transient, ...).
	Error     string `yaml:"error,omitempty" json:"error,omitempty"`
	ErrorKind string `yaml:"errorKind,omitempty" json:"errorKind,omitempty"`
	// Health is the latest health verdict of a merged service.
	Health *Verdict `yaml:"health,omitempty" json:"health,omitempty"`
}

// Branch is the name of a campaign's bump branches.
func Branch(id string) string { return "paved/campaign/" + id }

// Active reports whether the campaign still holds its target.
func (c *Campaign) Active() bool { return c.State == Running || c.State == Halted }

// Service returns the named service, nil when absent.
func (c *Campaign) Service(name string) *Service {
	i := sort.Search(len(c.Services), func(i int) bool { return c.Services[i].Name >= name })
	if i < len(c.Services) && c.Services[i].Name == name {
		return &c.Services[i]
	}
	return nil
}

// InWave returns the services of wave i, in name order.
func (c *Campaign) InWave(i int) []*Service {
	var out []*Service
	for j := range c.Services {
		if c.Services[j].Wave == i {
			out = append(out, &c.Services[j])
		}
	}
	return out
}

// validate checks a decoded campaign document.
func (c *Campaign) validate() error {
	if c.APIVersion != APIVersion || c.Kind != Kind {
		return fmt.Errorf("apiVersion %q, kind %q: want apiVersion: %s and kind: %s", c.APIVersion, c.Kind, APIVersion, Kind)
	}
	if !validID.MatchString(c.ID) {
		return fmt.Errorf("id %q: use lower-case letters, digits, dots and dashes", c.ID)
	}
	if c.Wave < -1 || c.Wave >= len(c.Waves) {
		return fmt.Errorf("wave %d: the campaign has %d waves", c.Wave, len(c.Waves))
	}
	for _, s := range c.Services {
		if s.Wave < 0 || s.Wave >= len(c.Waves) {
			return fmt.Errorf("service %q: wave %d: the campaign has %d waves", s.Name, s.Wave, len(c.Waves))
		}
	}
	if !sort.SliceIsSorted(c.Services, func(i, j int) bool { return c.Services[i].Name < c.Services[j].Name }) {
		return errors.New("services are not sorted by name")
	}
	return c.Target.Validate()
}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

// DefaultID derives a campaign id from its target: paved-v0.3.0,
// base-python-base-1.1, terraform-db-v3.2.0.
func DefaultID(t rewrite.Target) string {
	var s string
	switch t.Kind {
	case pin.Paved:
		s = "paved-" + t.To
	case pin.Base:
		repo, tag, _ := pin.SplitImage(t.To)
		s = "base-" + repo[strings.LastIndex(repo, "/")+1:] + "-" + tag
	default:
		src := strings.TrimSuffix(t.From, ".git")
		s = "terraform-" + src[strings.LastIndexAny(src, "/:")+1:] + "-" + t.To
	}
	s = strings.Trim(invalidIDChars.ReplaceAllString(strings.ToLower(s), "-"), "-.")
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

var invalidIDChars = regexp.MustCompile(`[^a-z0-9.-]+`)
