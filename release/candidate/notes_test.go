package candidate

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const changelog = `# Changelog

## [Unreleased]

### Changed
- The scan gate also fails on MEDIUM findings (release-diff: */gate/verdict, */scan/findings).
- go-api's image runs as 65532 (release-diff: go-api/build/config.user)

## [0.1.0] - 2026-11-01
- Old entry (release-diff: */build/layers)
`

func TestNotes(t *testing.T) {
	notes := ParseNotes(changelog)
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
