// Package fleet reads fleet.yaml, the list of a platform team's service
// repositories and its GitOps repository, and discovers more repositories
// from a code forge through the Forge interface.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/yamldoc"
)

// APIVersion and Kind identify a fleet.yaml document.
const (
	APIVersion = "paved.dev/v1"
	Kind       = "Fleet"
)

// Forge is a code forge (GitHub, GitLab, Gitea) that hosts repositories.
type Forge interface {
	// Repositories lists the repositories of organisation (a GitHub
	// organisation, a GitLab group) as services: Repository is the clone
	// URL and Name the repository's name; Tier and Team may be empty.
	Repositories(ctx context.Context, organisation string) ([]Service, error)
}

// Fleet is a fleet.yaml.
type Fleet struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// GitOps is the GitOps repository that records what is deployed.
	GitOps GitOps `yaml:"gitops"`
	// Services are listed by hand.
	Services []Service `yaml:"services"`
	// Discover lists forge organisations whose repositories are services
	// too.
	Discover []Discovery `yaml:"discover"`

	// Dir is the directory of the file, against which relative repository
	// paths were resolved.
	Dir string `yaml:"-"`
}

// GitOps names the GitOps repository.
type GitOps struct {
	Repository string `yaml:"repository"`
	// Branch is the branch to read (default: the remote's HEAD).
	Branch string `yaml:"branch,omitempty"`
}

// Service is one service repository.
type Service struct {
	// Repository is a git URL (https://, ssh://, git@host:path, file://) or
	// a path relative to fleet.yaml.
	Repository string `yaml:"repository" json:"repository"`
	// Name is the service's name, also its name in the GitOps repository
	// (default: the name in the repository's root paved.yaml, else the
	// repository's base name).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Branch is the branch to read (default: the remote's HEAD).
	Branch string `yaml:"branch,omitempty" json:"branch,omitempty"`
	// Tier and Team are free-form labels for waves and dashboards.
	Tier string `yaml:"tier,omitempty" json:"tier,omitempty"`
	Team string `yaml:"team,omitempty" json:"team,omitempty"`
}

// Discovery asks a forge for an organisation's repositories.
type Discovery struct {
	// Forge names the forge (github, gitlab, ...), as registered with the
	// caller of Resolve.
	Forge        string `yaml:"forge"`
	Organisation string `yaml:"organisation"`
	// Exclude lists repository names to leave out.
	Exclude []string `yaml:"exclude,omitempty"`
	// Tier and Team label every discovered service.
	Tier string `yaml:"tier,omitempty"`
	Team string `yaml:"team,omitempty"`
}

// ErrNoForge is wrapped by Resolve's error for a discovery whose forge the
// caller did not provide.
var ErrNoForge = errors.New("no such forge")

// Load reads and validates the fleet.yaml at file.
func Load(file string) (*Fleet, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", file, err))
	}
	return Parse(file, data)
}

// Type is the fleet file's kind of file.
var Type = yamldoc.Type{APIVersion: APIVersion, Kind: Kind, Noun: "fleet file"}

// Parse decodes and validates a fleet.yaml read from file, strictly (see
// yamldoc.Decode); relative repository paths are resolved against file's
// directory.
func Parse(file string, data []byte) (*Fleet, error) {
	bad := func(err error) error { return failure.BadInputErr(fmt.Errorf("reading %q: %w", file, err)) }
	f := &Fleet{Dir: filepath.Dir(file)}
	if err := yamldoc.Decode(data, f, Type); err != nil {
		return nil, bad(err)
	}
	if err := f.validate(); err != nil {
		return nil, bad(err)
	}
	f.GitOps.Repository = resolve(f.Dir, f.GitOps.Repository)
	for i := range f.Services {
		f.Services[i].Repository = resolve(f.Dir, f.Services[i].Repository)
	}
	return f, nil
}

func (f *Fleet) validate() error {
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return fmt.Errorf("apiVersion %q, kind %q: want apiVersion: %s and kind: %s", f.APIVersion, f.Kind, APIVersion, Kind)
	}
	if len(f.Services) == 0 && len(f.Discover) == 0 {
		return errors.New("no services and no discover entries: list the service repositories")
	}
	names, repos := map[string]int{}, map[string]int{}
	for i, s := range f.Services {
		if s.Repository == "" {
			return fmt.Errorf("services[%d]: repository is required", i)
		}
		if j, dup := repos[s.Repository]; dup {
			return fmt.Errorf("services[%d]: repository %q is listed twice (also services[%d])", i, s.Repository, j)
		}
		repos[s.Repository] = i
		if s.Name == "" {
			continue
		}
		if j, dup := names[s.Name]; dup {
			return fmt.Errorf("services[%d]: name %q is taken by services[%d]", i, s.Name, j)
		}
		names[s.Name] = i
	}
	for i, d := range f.Discover {
		if d.Forge == "" || d.Organisation == "" {
			return fmt.Errorf("discover[%d]: forge and organisation are required", i)
		}
	}
	return nil
}

// scpLike matches git's user@host:path form.
var scpLike = regexp.MustCompile(`^[\w.-]+@[\w.-]+:`)

// resolve makes a relative path absolute against dir; URLs stay as they are.
func resolve(dir, repo string) string {
	if repo == "" || strings.Contains(repo, "://") || scpLike.MatchString(repo) || filepath.IsAbs(repo) {
		return repo
	}
	return filepath.Join(dir, repo)
}

// RepoName is the default name of a repository: its base name without .git.
func RepoName(repo string) string {
	repo = strings.TrimRight(filepath.ToSlash(repo), "/")
	if i := strings.LastIndexAny(repo, ":/"); i >= 0 {
		repo = repo[i+1:]
	}
	return strings.TrimSuffix(repo, ".git")
}

// Resolve returns the fleet's services: the listed ones, then those the
// forges discover (a repository already listed keeps its listed entry),
// in that order. A discovery whose forge is not in forges is an error
// wrapping ErrNoForge; a forge's own error is returned as it is.
func (f *Fleet) Resolve(ctx context.Context, forges map[string]Forge) ([]Service, error) {
	out := append([]Service(nil), f.Services...)
	seen := map[string]bool{}
	for _, s := range out {
		seen[s.Repository] = true
	}
	for _, d := range f.Discover {
		forge := forges[d.Forge]
		if forge == nil {
			return nil, failure.BadInputErr(fmt.Errorf("discovering %s/%s: %w %q: list its repositories under services instead", d.Forge, d.Organisation, ErrNoForge, d.Forge))
		}
		found, err := forge.Repositories(ctx, d.Organisation)
		if err != nil {
			return nil, fmt.Errorf("discovering %s/%s: %w", d.Forge, d.Organisation, err)
		}
		for _, s := range found {
			if seen[s.Repository] || excluded(d.Exclude, s) {
				continue
			}
			seen[s.Repository] = true
			s.Tier, s.Team = or(s.Tier, d.Tier), or(s.Team, d.Team)
			out = append(out, s)
		}
	}
	return out, nil
}

func excluded(names []string, s Service) bool {
	for _, n := range names {
		if n == s.Name || n == RepoName(s.Repository) {
			return true
		}
	}
	return false
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
