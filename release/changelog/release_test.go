package changelog

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var releaseDate = time.Date(2026, 11, 2, 15, 4, 5, 0, time.UTC)

func TestReleaseGolden(t *testing.T) {
	for _, tc := range []struct{ name, version string }{
		{"links", "v0.2.0"},
		{"first", "v0.1.0"},
		{"crlf", "v1.4.3"},
		{"fenced", "v0.4.0"},
		{"paved", "v0.1.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tc.name+".md"))
			require.NoError(t, err)
			got, err := Release(in, tc.version, releaseDate)
			require.NoError(t, err)
			golden := filepath.Join("testdata", tc.name+".golden.md")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))

			// The released file has an empty Unreleased and the notes under
			// the new version, and cannot be released again.
			c, err := Parse(got)
			require.NoError(t, err)
			_, err = c.BumpOf()
			require.ErrorIs(t, err, ErrNothingToRelease)
			s, ok := c.Section(tc.version)
			require.True(t, ok)
			require.Equal(t, "2026-11-02", s.Date)
			before, err := Parse(in)
			require.NoError(t, err)
			u, err := before.Unreleased()
			require.NoError(t, err)
			require.Equal(t, u.Groups, shiftLines(s.Groups, u.Groups))
		})
	}
}

// shiftLines returns got with the line numbers of want, so that groups can be
// compared by name and entry count.
func shiftLines(got, want []Group) []Group {
	out := append([]Group(nil), got...)
	for i := range out {
		if i < len(want) {
			out[i].Line = want[i].Line
		}
	}
	return out
}

func TestReleaseKeepsEverythingElse(t *testing.T) {
	in, err := os.ReadFile("testdata/links.md")
	require.NoError(t, err)
	got, err := Release(in, "v0.2.0", releaseDate)
	require.NoError(t, err)
	// Removing the lines Release adds or rewrites gives back the input.
	var kept []string
	for _, l := range strings.SplitAfter(string(got), "\n") {
		switch {
		case strings.HasPrefix(l, "## [0.2.0]"), strings.HasPrefix(l, "[0.2.0]:"), strings.HasPrefix(l, "[Unreleased]:"):
			continue
		}
		kept = append(kept, l)
	}
	want := strings.Replace(string(in), "[Unreleased]: https://github.com/paved-dev/paved/compare/v0.1.0...HEAD\n", "", 1)
	require.Equal(t, strings.Replace(want, "## [Unreleased]\n", "## [Unreleased]\n\n", 1), strings.Join(kept, ""))
}

func TestReleaseRefuses(t *testing.T) {
	links, err := os.ReadFile("testdata/links.md")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, data, version, want string
	}{
		{"not semver", string(links), "v0.2", "not semver"},
		{"pre-release", string(links), "v0.2.0-rc.1", "no pre-release"},
		{"existing section", string(links), "v0.1.0", "already has a section"},
		{"no unreleased", "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n### Added\n- x\n", "v0.2.0", "no ## [Unreleased] section"},
		{"empty unreleased", "# Changelog\n\n## [Unreleased]\n\n### Added\n\n## [0.1.0] - 2026-01-01\n", "v0.2.0", "nothing to release: add change notes under Unreleased"},
		{"unknown group", "## [Unreleased]\n\n### Fixes\n- x\n", "v0.2.0", `unknown change type "Fixes" on line 3`},
		{"loose notes", "## [Unreleased]\n\n- x\n", "v0.2.0", "not under a ### group"},
		{"two unreleased", "## [Unreleased]\n### Added\n- x\n## [Unreleased]\n", "v0.2.0", "2 Unreleased sections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Release([]byte(tc.data), tc.version, releaseDate)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func FuzzRelease(f *testing.F) {
	for _, name := range []string{"links", "first", "crlf", "fenced"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".md"))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("## [Unreleased]\n### Removed\n- x"))
	f.Add([]byte("[Unreleased]: https://x/compare/v1...HEAD"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range c.Sections {
			if s.Start > s.BodyStart || s.BodyStart > s.End || s.End > len(data) {
				t.Fatalf("section %q has offsets %d, %d, %d in %d bytes", s.Name, s.Start, s.BodyStart, s.End, len(data))
			}
		}
		out, err := Release(data, "v99.0.0", releaseDate)
		if err != nil {
			return
		}
		if len(out) < len(data) {
			t.Fatalf("Release dropped bytes: %d -> %d", len(data), len(out))
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("parsing released file: %v", err)
		}
		if _, err := again.BumpOf(); err == nil {
			t.Fatalf("released file still has change notes under Unreleased:\n%s", out)
		}
		if _, ok := again.Section("99.0.0"); !ok {
			t.Fatalf("released file has no 99.0.0 section:\n%s", out)
		}
	})
}
