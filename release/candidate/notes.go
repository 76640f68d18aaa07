package candidate

import (
	"regexp"
	"strings"
)

// Note is one expected difference named by the change notes.
type Note struct {
	// Key is APP/STEP/ASPECT, any segment "*".
	Key string `json:"key"`
	// Entry is the change-notes line that names it.
	Entry string `json:"entry"`
}

// Notes are the expected differences of a candidate.
type Notes []Note

var markerRE = regexp.MustCompile(`\(release-diff:\s*([^)]*)\)`)

// ParseNotes reads the "(release-diff: KEY[, KEY…])" markers of the
// Unreleased section of a Keep a Changelog file: the lines after a "## "
// heading containing "Unreleased", up to the next "## " heading.
func ParseNotes(changelog string) Notes {
	var notes Notes
	in := false
	for _, line := range strings.Split(changelog, "\n") {
		if strings.HasPrefix(line, "## ") {
			in = strings.Contains(strings.ToLower(line), "unreleased")
			continue
		}
		if !in {
			continue
		}
		for _, m := range markerRE.FindAllStringSubmatch(line, -1) {
			for _, key := range strings.Split(m[1], ",") {
				if key = strings.TrimSpace(key); key != "" {
					notes = append(notes, Note{Key: key, Entry: strings.TrimSpace(strings.TrimLeft(line, " -*"))})
				}
			}
		}
	}
	return notes
}

// Match returns the note naming key (APP/STEP/ASPECT).
func (n Notes) Match(key string) (Note, bool) {
	for _, note := range n {
		if keyMatches(note.Key, key) {
			return note, true
		}
	}
	return Note{}, false
}

func keyMatches(pattern, key string) bool {
	p, k := strings.Split(pattern, "/"), strings.Split(key, "/")
	if len(p) != 3 || len(k) != 3 {
		return false
	}
	for i := range p {
		if p[i] != "*" && p[i] != k[i] {
			return false
		}
	}
	return true
}
