package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

const versionPolicy = `apiVersion: paved.dev/v1
kind: PlatformPolicy
paved:
  minVersion: v1.4.0
  deprecations:
    - below: v1.6.0
      after: 2027-03-31
      message: v1.6 attests the run record
`

func TestCheckVersion(t *testing.T) {
	p, err := policy.Parse([]byte(versionPolicy))
	require.NoError(t, err)
	before := time.Date(2027, 3, 30, 23, 0, 0, 0, time.UTC)
	after := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		version  string
		now      time.Time
		wantErr  string
		wantWarn string
	}{
		{name: "current", version: "v1.6.0", now: after},
		{name: "newer without v", version: "2.0.0", now: after},
		{name: "below the minimum", version: "v1.3.9", now: before, wantErr: "paved v1.3.9 is older than the platform's minimum v1.4.0: move to paved v1.4.0 or later"},
		{name: "pre-release of the minimum", version: "v1.4.0-rc.1", now: before, wantErr: "move to paved v1.4.0"},
		{name: "deprecated before the date", version: "v1.5.2", now: before, wantWarn: "paved v1.5.2 is deprecated: move to paved v1.6.0 or later (v1.6 attests the run record); it stops working on 2027-03-31"},
		{name: "deprecated on the date", version: "v1.5.2", now: after, wantErr: "paved v1.5.2 is deprecated: move to paved v1.6.0 or later (v1.6 attests the run record); it stopped working on 2027-03-31"},
		{name: "development build", version: policy.DevVersion, now: after, wantWarn: "development build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.CheckVersion(tt.version, tt.now)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Equal(t, failure.Policy, failure.KindOf(err))
				return
			}
			require.NoError(t, err)
			if tt.wantWarn == "" {
				require.Empty(t, d.Warnings)
			} else {
				require.Len(t, d.Warnings, 1)
				require.Contains(t, d.Warnings[0], tt.wantWarn)
			}
		})
	}
	var none *policy.Policy
	_, err = none.CheckVersion("v0.1.0", after)
	require.NoError(t, err)
	_, err = (&policy.Policy{}).CheckVersion("v0.1.0", after)
	require.NoError(t, err)
}

func TestParseVersionRules(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"bad minimum", "paved:\n  minVersion: latest\n", `paved.minVersion "latest" is not a semantic version`},
		{"bad below", "paved:\n  deprecations:\n    - below: soon\n      after: 2027-01-01\n", `below "soon" is not a semantic version`},
		{"no date", "paved:\n  deprecations:\n    - below: v1.0.0\n", `after "" is not a date`},
		{"bad date", "paved:\n  deprecations:\n    - below: v1.0.0\n      after: next week\n", `after "next week" is not a date`},
		{"unknown key", "paved:\n  minVersoin: v1.0.0\n", `unknown key "minVersoin" in paved`},
		{"unknown deprecation key", "paved:\n  deprecations:\n    - below: v1.0.0\n      after: 2027-01-01\n      reason: x\n", `line 7: unknown key "reason" in paved.deprecations[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse([]byte("apiVersion: paved.dev/v1\nkind: PlatformPolicy\n" + tt.yaml))
			require.ErrorContains(t, err, tt.want)
		})
	}
}
