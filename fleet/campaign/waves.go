package campaign

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/pipelines/failure"
)

// WaveSpec is one wave as the user wrote it: NAME:SELECTOR, where the
// selector is a cumulative share of the fleet (50%: after this wave, half
// the services are in), a tier (tier=1: every service of tier 1 not in an
// earlier wave) or services by name (svc-a+svc-b). The name is optional
// (default: wave-N, the first one canary).
type WaveSpec struct {
	Name     string
	Percent  float64
	Tier     string
	Services []string
}

// ParseWaves parses a comma-separated list of waves, e.g.
// "canary:5%,50%,100%" or "canary:svc-a+svc-b,tier=1,tier=2,100%".
func ParseWaves(s string) ([]WaveSpec, error) {
	bad := func(item, why string) error {
		return failure.BadInputErr(fmt.Errorf("parsing wave %q in %q: %s", item, s, why))
	}
	var out []WaveSpec
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		w := WaveSpec{Name: fmt.Sprintf("wave-%d", i+1)}
		if i == 0 {
			w.Name = "canary"
		}
		sel := item
		if name, rest, ok := strings.Cut(item, ":"); ok {
			w.Name, sel = name, rest
		}
		switch {
		case sel == "":
			return nil, bad(item, "empty selector: use a percentage, tier=T or service names joined by +")
		case strings.HasSuffix(sel, "%"):
			p, err := strconv.ParseFloat(strings.TrimSuffix(sel, "%"), 64)
			if err != nil || p <= 0 || p > 100 {
				return nil, bad(item, "a percentage is between 0 and 100, e.g. 5%")
			}
			w.Percent = p
		case strings.HasPrefix(sel, "tier="):
			w.Tier = strings.TrimPrefix(sel, "tier=")
		default:
			w.Services = strings.Split(sel, "+")
		}
		if !validID.MatchString(w.Name) {
			return nil, bad(item, "a wave name uses lower-case letters, digits, dots and dashes")
		}
		out = append(out, w)
	}
	return out, nil
}

// Plan assigns services to waves, deterministically: services sorted by
// name; a percentage wave takes the next ones in that order until the
// share is reached (rounding up); a tier wave takes every unassigned
// service of the tier; a named wave takes the named ones. Every wave must
// get a service and every service a wave. Plan returns the waves and
// the services in name order, each with its wave index.
func Plan(specs []WaveSpec, services []fleet.Service) ([]Wave, []Service, error) {
	bad := func(format string, a ...any) error { return failure.BadInputErr(fmt.Errorf(format, a...)) }
	svcs := make([]Service, 0, len(services))
	byName := map[string]int{}
	for _, s := range services {
		name := s.Name
		if name == "" {
			name = fleet.RepoName(s.Repository)
		}
		if _, dup := byName[name]; dup {
			return nil, nil, bad("planning waves: two services are named %q: name them in the fleet file", name)
		}
		byName[name] = -1
		svcs = append(svcs, Service{Name: name, Repository: s.Repository, Branch: s.Branch, Tier: s.Tier, Wave: -1, Status: Pending})
	}
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
	for i := range svcs {
		byName[svcs[i].Name] = i
	}
	waves := make([]Wave, len(specs))
	assigned := 0
	take := func(w int, i int) {
		svcs[i].Wave = w
		waves[w].Services = append(waves[w].Services, svcs[i].Name)
		assigned++
	}
	for w, spec := range specs {
		waves[w].Name = spec.Name
		switch {
		case spec.Percent > 0:
			// Less one part in a billion: 7% of 100 is 7, not 7.000000000000001 → 8.
			want := int(math.Ceil(spec.Percent*float64(len(svcs))/100 - 1e-9))
			for i := 0; i < len(svcs) && assigned < want; i++ {
				if svcs[i].Wave < 0 {
					take(w, i)
				}
			}
		case spec.Tier != "":
			for i := range svcs {
				if svcs[i].Wave < 0 && svcs[i].Tier == spec.Tier {
					take(w, i)
				}
			}
		default:
			for _, name := range spec.Services {
				i, ok := byName[name]
				if !ok {
					return nil, nil, bad("planning wave %q: no service %q in the fleet", spec.Name, name)
				}
				if svcs[i].Wave >= 0 {
					return nil, nil, bad("planning wave %q: service %q is already in wave %q", spec.Name, name, waves[svcs[i].Wave].Name)
				}
				take(w, i)
			}
		}
		if len(waves[w].Services) == 0 {
			return nil, nil, bad("planning wave %q: it gets no service: drop it or widen it", spec.Name)
		}
	}
	if assigned < len(svcs) {
		var left []string
		for _, s := range svcs {
			if s.Wave < 0 {
				left = append(left, s.Name)
			}
		}
		return nil, nil, bad("planning waves: %d services are in no wave (%s): end with 100%%", len(left), strings.Join(first(left, 5), ", "))
	}
	for w := range waves {
		sort.Strings(waves[w].Services)
	}
	return waves, svcs, nil
}

// first returns at most n of s, with "…" when it cut.
func first(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], "…")
}
