package campaign

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
)

// TestHeadResult: what auto-merge reads on a change's head before merging
// it. Any failed check refuses the merge; only the campaign's health check
// is waited for while it runs.
func TestHeadResult(t *testing.T) {
	check := func(name string, state fleet.CheckState) fleet.Check {
		return fleet.Check{Name: name, State: state, URL: "https://ci/" + name, Description: name + " " + string(state)}
	}
	failed := func(name string) *Verdict {
		return &Verdict{Status: HealthFailed, Evidence: EvidenceCheck, Commit: "head", Step: name, URL: "https://ci/" + name, Message: name + " failure"}
	}
	tests := []struct {
		name    string
		health  string
		results []fleet.Check
		want    *Verdict
	}{
		{name: "no result: merge", health: "paved", want: nil},
		{name: "passed: merge", health: "paved", results: []fleet.Check{check("paved", fleet.CheckSuccess), check("lint", fleet.CheckSuccess)}, want: nil},
		{name: "the health check failed", health: "paved", results: []fleet.Check{check("lint", fleet.CheckSuccess), check("paved", fleet.CheckFailure)}, want: failed("paved")},
		{name: "another check failed", health: "paved", results: []fleet.Check{check("paved", fleet.CheckSuccess), check("lint", fleet.CheckFailure)}, want: failed("lint")},
		{name: "a failure with no health check named", health: "", results: []fleet.Check{check("lint", fleet.CheckFailure)}, want: failed("lint")},
		{name: "the health check runs: wait", health: "paved / *", results: []fleet.Check{check("paved / build (pull_request)", fleet.CheckPending)},
			want: &Verdict{Status: HealthMissing, Evidence: EvidenceCheck, Commit: "head", Step: "paved / build (pull_request)", URL: "https://ci/paved / build (pull_request)",
				Message: "paved / build (pull_request) is still pending on the change's head head"}},
		{name: "a failure ends the wait", health: "paved", results: []fleet.Check{check("paved", fleet.CheckPending), check("lint", fleet.CheckFailure)}, want: failed("lint")},
		{name: "another check still running is not waited for", health: "paved", results: []fleet.Check{check("paved", fleet.CheckSuccess), check("docs", fleet.CheckPending)}, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &checkingForge{forgeChanges: &forgeChanges{opened: map[string]fleet.Change{}}, results: map[string][]fleet.Check{"head": tc.results}}
			c := &Campaign{Health: Health{Check: tc.health}}
			got, err := New(nil, WithChanges(f)).headResult(context.Background(), c, &Service{Name: "svc", BumpCommit: "head"})
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	f := &checkingForge{forgeChanges: &forgeChanges{opened: map[string]fleet.Change{}}}
	_, err := New(nil, WithChanges(f)).headResult(context.Background(), &Campaign{}, &Service{Name: "svc", BumpCommit: "broken"})
	require.ErrorContains(t, err, "HTTP 502", "a forge that cannot say is no green light")
}
