package candidate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

const changelogText = `# Changelog

## [Unreleased]

### Changed
- The scan gate also fails on MEDIUM findings (release-diff: */gate/verdict, */scan/findings).
- go-api's image runs as 65532 (release-diff: go-api/build/config.user)
- Name expected differences with ` + "`(release-diff: APP/STEP/ASPECT)`" + ` in the notes.

## [0.1.0] - 2026-11-01
- Old entry (release-diff: */build/layers)
`

func TestNotes(t *testing.T) {
	notes := ParseNotes(changelogText)
	require.Len(t, notes, 3)
	tests := []struct {
		key   string
		match bool
		entry string
	}{
		{"node-web/gate/verdict", true, "The scan gate also fails on MEDIUM findings (release-diff: */gate/verdict, */scan/findings)."},
		{"python-api/scan/findings", true, "The scan gate also fails on MEDIUM findings (release-diff: */gate/verdict, */scan/findings)."},
		{"go-api/build/config.user", true, "go-api's image runs as 65532 (release-diff: go-api/build/config.user)"},
		{"node-web/build/config.user", false, ""},
		{"go-api/build/layers", false, ""}, // named under a released version only
		{"go-api/gate", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			n, ok := notes.Match(tc.key)
			require.Equal(t, tc.match, ok)
			require.Equal(t, tc.entry, n.Entry)
		})
	}
}

// TestNotesCheck: a note naming everything (a "*" aspect), an unknown app
// or an unknown aspect is bad input: it would mark real regressions
// expected, or expect nothing at all.
func TestNotesCheck(t *testing.T) {
	apps := []string{"go-api", "node-web"}
	tests := []struct{ key, wantErr string }{
		{"go-api/build/config.user", ""},
		{"*/gate/verdict", ""},
		{"node-web/*/attestations", ""},
		{"go-api/cli/exitCode", ""},
		{"*/*/*", "names no aspect"},
		{"go-api/build/*", "names no aspect"},
		{"ruby-api/build/layers", `unknown app "ruby-api"`},
		{"go-api/build/colour", `unknown aspect "colour"`},
		{"go-api/build", "want APP/STEP/ASPECT"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			err := Notes{{Key: tc.key, Entry: "x"}}.Check(apps)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.key)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

// TestNotesStatusNotByWildcard: a step's status (a run that now fails) is
// expected only when the note names the app and the step.
func TestNotesStatusNotByWildcard(t *testing.T) {
	_, ok := Notes{{Key: "*/gate/status"}}.Match("go-api/gate/status")
	require.False(t, ok)
	_, ok = Notes{{Key: "go-api/*/status"}}.Match("go-api/gate/status")
	require.False(t, ok)
	_, ok = Notes{{Key: "go-api/gate/status"}}.Match("go-api/gate/status")
	require.True(t, ok)
}
