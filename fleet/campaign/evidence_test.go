package campaign

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
)

// checkingForge is forgeChanges that also reports CI results per commit.
type checkingForge struct {
	*forgeChanges
	results map[string][]fleet.Check // commit → results
}

func (f *checkingForge) Checks(_ context.Context, _, commit string) ([]fleet.Check, error) {
	if commit == "broken" {
		return nil, errors.New("reading the commit statuses: HTTP 502")
	}
	return f.results[commit], nil
}

func TestCheckVerdict(t *testing.T) {
	ok := func(name string) fleet.Check {
		return fleet.Check{Name: name, State: fleet.CheckSuccess, URL: "https://ci/" + name}
	}
	bad := func(name string) fleet.Check {
		return fleet.Check{Name: name, State: fleet.CheckFailure, URL: "https://ci/" + name, Description: "failed at step gate"}
	}
	pending := func(name string) fleet.Check { return fleet.Check{Name: name, State: fleet.CheckPending} }
	tests := []struct {
		name        string
		check       string
		merge, head []fleet.Check
		mergeCommit string // default "merge"
		want        *Verdict
	}{
		{name: "no check named", check: "", merge: []fleet.Check{ok("paved")}, want: nil},
		{name: "merge commit passed", check: "paved", merge: []fleet.Check{bad("lint"), ok("paved")},
			want: &Verdict{Status: HealthOK, Evidence: EvidenceCheck, Commit: "merge", Step: "paved", URL: "https://ci/paved"}},
		{name: "merge commit failed", check: "paved", merge: []fleet.Check{bad("paved")}, head: []fleet.Check{ok("paved")},
			want: &Verdict{Status: HealthFailed, Evidence: EvidenceCheck, Commit: "merge", Step: "paved", URL: "https://ci/paved", Message: "failed at step gate"}},
		{name: "pending on the merge is waited for, whatever the head says", check: "paved", merge: []fleet.Check{pending("paved")}, head: []fleet.Check{bad("paved")},
			want: &Verdict{Status: HealthMissing, Message: "paved is still pending on merge"}},
		{name: "nothing on the merge, failed on the head", check: "paved", merge: []fleet.Check{ok("lint")}, head: []fleet.Check{bad("paved")},
			want: &Verdict{Status: HealthFailed, Evidence: EvidenceCheck, Commit: "head", Step: "paved", URL: "https://ci/paved", Message: "failed at step gate"}},
		{name: "nothing on the merge, passed on the head", check: "paved", head: []fleet.Check{ok("paved")},
			want: &Verdict{Status: HealthOK, Evidence: EvidenceCheck, Commit: "head", Step: "paved", URL: "https://ci/paved"}},
		{name: "a pattern", check: "ci / paved*", merge: []fleet.Check{ok("ci / paved (push)")},
			want: &Verdict{Status: HealthOK, Evidence: EvidenceCheck, Commit: "merge", Step: "ci / paved (push)", URL: "https://ci/ci / paved (push)"}},
		{name: "a name is not a prefix", check: "paved", merge: []fleet.Check{ok("paved-lint")},
			want: &Verdict{Status: HealthMissing, Message: `no "paved" result on the forge yet`}},
		{name: "still pending", check: "paved", merge: []fleet.Check{pending("paved")},
			want: &Verdict{Status: HealthMissing, Message: "paved is still pending on merge"}},
		{name: "forge error", check: "paved", mergeCommit: "broken",
			want: &Verdict{Status: HealthMissing, Message: "reading the commit statuses: HTTP 502"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &checkingForge{forgeChanges: &forgeChanges{opened: map[string]fleet.Change{}}, results: map[string][]fleet.Check{"merge": tc.merge, "head": tc.head}}
			e := New(nil, WithChanges(f))
			c := &Campaign{Health: Health{Check: tc.check}}
			s := &Service{Name: "svc", BumpCommit: "head", Change: &fleet.Change{ID: "1", State: fleet.ChangeMerged, MergeCommit: or(tc.mergeCommit, "merge"), Head: "head"}}
			require.Equal(t, tc.want, e.checkVerdict(context.Background(), c, s))
		})
	}
}
