package changelog

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

// TestBumpOfItemStyles: every Markdown list item style counts as a change
// note, so a Removed note written with "+" or "1." is not lost.
func TestBumpOfItemStyles(t *testing.T) {
	for _, tc := range []struct {
		name, groups string
		want         Bump
	}{
		{"plus items", "### Removed\n+ the old flag\n### Fixed\n- a\n", Major},
		{"star items", "### Removed\n* the old flag\n### Fixed\n- a\n", Major},
		{"indented items", "### Removed\n  - the old flag\n### Fixed\n- a\n", Major},
		{"three spaces", "### Breaking\n   * the old flag\n### Fixed\n- a\n", Major},
		{"ordered items", "### Removed\n1. the old flag\n2) another\n### Fixed\n- a\n", Major},
		{"a comment is no content", "### Removed\n<!-- nothing yet\n  really -->\n\n### Fixed\n- a\n", Patch},
		{"prose after an item is fine", "### Added\n- a\n  more about a\nand a lazy line\n", Minor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := notes(tc.groups).BumpOf()
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Bump)
		})
	}
}

// TestBumpOfRefusesUnreadableNotes: content the bump cannot be read from is
// bad input, never a smaller bump.
func TestBumpOfRefusesUnreadableNotes(t *testing.T) {
	for _, tc := range []struct {
		name, groups, want string
	}{
		{"prose under Breaking", "### Breaking\nThe config format changed.\n\n### Fixed\n- a\n", `group "Breaking" on line 4 has text but no "- " items`},
		{"four spaces is code, not an item", "### Removed\n    - x\n### Fixed\n- a\n", `group "Removed" on line 4 has text but no "- " items`},
		{"non-version heading inside Unreleased", "### Fixed\n- a\n\n## Upgrade notes\n\n### Removed\n- the old flag\n", `heading "## Upgrade notes" on line 7 is inside Unreleased`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notes(tc.groups).BumpOf()
			require.Equal(t, failure.BadInput, failure.KindOf(err), "%v", err)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestNextVersion(t *testing.T) {
	data := []byte("# Changelog\n\n## [Unreleased]\n\n### Added\n- a\n\n## [0.1.0] - 2026-01-01\n")
	for _, tc := range []struct{ prev, want, err string }{
		{"", "v0.1.0", ""},
		{"v0.1.0", "v0.2.0", ""},
		{"1.2.3", "v1.3.0", ""},
		{"v0.2.0-rc.1", "", "pre-release"},
		{"next", "", "not semver"},
	} {
		t.Run(tc.prev, func(t *testing.T) {
			got, err := NextVersion(data, tc.prev)
			if tc.err != "" {
				require.Equal(t, failure.BadInput, failure.KindOf(err))
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := NextVersion([]byte("# Changelog\n\n## [Unreleased]\n\n"), "v0.1.0")
	require.ErrorIs(t, err, ErrNothingToRelease)
}
