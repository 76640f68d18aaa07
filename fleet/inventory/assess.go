package inventory

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/policy"
)

// assess sets every service's paved version, status and blocks, once all
// repositories and deployments are read.
func (inv *Inventory) assess(o *options) {
	for i := range inv.Services {
		inv.Services[i].pinStatus()
	}
	inv.Latest = o.latest
	if inv.Latest == "" {
		inv.Latest = newest(inv.Services)
	}
	latest, _ := semver.NewVersion(inv.Latest)
	for i := range inv.Services {
		s := &inv.Services[i]
		if s.Status == StatusCurrent && latest != nil {
			if v, err := semver.NewVersion(s.Paved); err == nil && v.LessThan(latest) {
				s.Status = StatusOutdated
			}
		}
		s.deploymentBlocks()
		if o.policy != nil {
			s.policyBlocks(o)
		}
	}
}

// pinStatus decides the status from the repository's paved pins.
func (s *Service) pinStatus() {
	switch {
	case s.Error != "":
		s.Status = StatusUnreachable
		s.block("the repository could not be read")
		return
	case len(s.Pins) == 0:
		s.Status = StatusUnpinned
		s.block("no paved version pinned in its CI wrappers: adopt a wrapper from paved's ci/ directory")
		return
	}
	versions := map[string][]string{}
	for _, p := range s.Pins {
		if !p.Semver {
			s.Status = StatusNotSemver
			s.block(fmt.Sprintf("%s pins paved at %q, which is not a release version: pin vMAJOR.MINOR.PATCH", describe(p), or(p.Version, p.Digest)))
			continue
		}
		v := "v" + strings.TrimPrefix(p.Version, "v")
		versions[v] = append(versions[v], describe(p))
	}
	if s.Status == StatusNotSemver {
		return
	}
	if len(versions) > 1 {
		s.Status = StatusConflict
		var parts []string
		for v, where := range versions {
			parts = append(parts, fmt.Sprintf("%s (%s)", v, strings.Join(where, ", ")))
		}
		sort.Strings(parts)
		s.block("its paved pins disagree: " + strings.Join(parts, "; "))
		return
	}
	for v := range versions {
		s.Paved = v
	}
	s.Status = StatusCurrent
}

// deploymentBlocks blocks a service with a locked environment.
func (s *Service) deploymentBlocks() {
	for _, d := range s.Deployed {
		if d.Locked != "" {
			s.block(fmt.Sprintf("%s is locked after a rollback: %s", d.Environment, d.Locked))
		}
	}
}

// policyBlocks checks the pinned version and the deployed bases against
// the platform policy.
func (s *Service) policyBlocks(o *options) {
	now := o.now()
	if s.Paved != "" {
		if _, err := o.policy.CheckVersion(s.Paved, now); err != nil {
			s.block(err.Error())
		}
	}
	for _, d := range s.Deployed {
		if d.Base == "" || d.BaseDigest == "" {
			continue
		}
		ref, err := name.ParseReference(d.Base)
		if err != nil {
			continue
		}
		dig, err := name.NewDigest(ref.Context().Name() + "@" + d.BaseDigest)
		if err != nil {
			continue
		}
		if _, err := o.policy.Check(policy.Base{Ref: ref, Digest: dig}, now); err != nil {
			s.block(d.Environment + ": " + err.Error())
		}
	}
}

func (s *Service) block(reason string) { s.Blocked = append(s.Blocked, reason) }

// newest returns the newest paved version any service pins.
func newest(services []Service) string {
	var best *semver.Version
	var out string
	for _, s := range services {
		v, err := semver.NewVersion(s.Paved)
		if err != nil || s.Paved == "" {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, out = v, s.Paved
		}
	}
	return out
}

// Counts tallies services by status, for summaries.
func (inv *Inventory) Counts() map[string]int {
	c := map[string]int{}
	for _, s := range inv.Services {
		c[s.Status]++
	}
	return c
}

// Blocked returns how many services are blocked.
func (inv *Inventory) Blocked() int {
	n := 0
	for _, s := range inv.Services {
		if len(s.Blocked) > 0 {
			n++
		}
	}
	return n
}
