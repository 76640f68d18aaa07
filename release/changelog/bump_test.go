package changelog

import (
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"
)

func notes(groups string) *Changelog {
	c, err := Parse([]byte("# Changelog\n\n## [Unreleased]\n" + groups + "\n## [0.1.0] - 2026-01-01\n\n### Removed\n- old\n"))
	if err != nil {
		panic(err)
	}
	return c
}

func TestBumpOf(t *testing.T) {
	for _, tc := range []struct {
		name, groups string
		want         Bump
		why          []string
	}{
		{"fixed", "### Fixed\n- a\n", Patch, []string{Fixed}},
		{"security", "### Security\n- a\n", Patch, []string{Security}},
		{"added", "### Fixed\n- a\n### Added\n- b\n", Minor, []string{Added}},
		{"changed and deprecated", "### Changed\n* a\n### Deprecated\n- b\n", Minor, []string{Changed, Deprecated}},
		{"removed", "### Added\n- a\n### Removed\n- b\n", Major, []string{Removed}},
		{"breaking", "### Breaking\n- a\n", Major, []string{Breaking}},
		{"empty groups do not count", "### Removed\n\n### Fixed\n- a\n", Patch, []string{Fixed}},
		{"case-insensitive", "### added\n- a\n", Minor, []string{Added}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := notes(tc.groups).BumpOf()
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Bump)
			require.Equal(t, tc.why, r.Groups)
		})
	}
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		prev string
		bump Bump
		want string
	}{
		{"", Major, "0.1.0"},
		{"", Patch, "0.1.0"},
		{"0.3.1", Major, "0.4.0"}, // pre-1.0: breaking bumps the minor version
		{"0.3.1", Minor, "0.4.0"},
		{"0.3.1", Patch, "0.3.2"},
		{"1.3.1", Major, "2.0.0"},
		{"1.3.1", Minor, "1.4.0"},
		{"1.3.1", Patch, "1.3.2"},
	} {
		t.Run(tc.prev+" "+tc.bump.String(), func(t *testing.T) {
			var prev *semver.Version
			if tc.prev != "" {
				prev = semver.MustParse(tc.prev)
			}
			require.Equal(t, tc.want, Next(prev, tc.bump).String())
		})
	}
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name, groups, prev, requested, want, err string
	}{
		{name: "computed", groups: "### Added\n- a\n", prev: "0.1.0", want: "v0.2.0"},
		{name: "requested agrees", groups: "### Fixed\n- a\n", prev: "1.2.3", requested: "v1.2.4", want: "v1.2.4"},
		{name: "requested without v", groups: "### Fixed\n- a\n", prev: "1.2.3", requested: "1.2.4", want: "v1.2.4"},
		{name: "first release default", groups: "### Fixed\n- a\n", want: "v0.1.0"},
		{name: "first release requested", groups: "### Fixed\n- a\n", requested: "v1.0.0", want: "v1.0.0"},
		{name: "leaving 0.x on request", groups: "### Fixed\n- a\n", prev: "0.9.0", requested: "v1.0.0", want: "v1.0.0"},
		{name: "disagrees", groups: "### Added\n- a\n", prev: "0.1.0", requested: "v0.1.1",
			err: `checking version "v0.1.1": the change notes call for a minor release (Unreleased has Added) after v0.1.0, that is v0.2.0: ask for v0.2.0 or change the notes`},
		{name: "major after 1.0", groups: "### Removed\n- a\n", prev: "1.0.0", requested: "v1.1.0", err: "call for a major release (Unreleased has Removed) after v1.0.0, that is v2.0.0"},
		{name: "not semver", groups: "### Added\n- a\n", prev: "0.1.0", requested: "latest", err: `parsing version "latest": not semver`},
		{name: "pre-release", groups: "### Added\n- a\n", prev: "0.1.0", requested: "v0.2.0-rc.1", err: "no pre-release"},
		{name: "nothing to release", groups: "\n", prev: "0.1.0", err: "nothing to release"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var prev *semver.Version
			if tc.prev != "" {
				prev = semver.MustParse(tc.prev)
			}
			d, err := notes(tc.groups).Decide(prev, tc.requested)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, d.Version)
		})
	}
}
