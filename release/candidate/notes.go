package candidate

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/snapshot"
)

// Note is one expected difference named by the change notes.
type Note struct {
	// Key is APP/STEP/ASPECT; APP and STEP may be "*", ASPECT may not,
	// and a "*" never matches a status difference (see Match).
	Key string `json:"key"`
	// Entry is the change-notes line that names it.
	Entry string `json:"entry"`
}

// Notes are the expected differences of a candidate.
type Notes []Note

var (
	markerRE = regexp.MustCompile(`\(release-diff:\s*([^)]*)\)`)
	// codeRE is an inline code span: a marker in one documents the syntax.
	codeRE = regexp.MustCompile("`[^`]*`")
)

// ParseNotes reads the "(release-diff: KEY[, KEY…])" markers of the
// Unreleased section of a Keep a Changelog file: the lines after a "## "
// heading containing "Unreleased", up to the next "## " heading. A marker
// inside an inline code span (`…`) documents the syntax and is skipped.
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
		for _, m := range markerRE.FindAllStringSubmatch(codeRE.ReplaceAllString(line, ""), -1) {
			for _, key := range strings.Split(m[1], ",") {
				if key = strings.TrimSpace(key); key != "" {
					notes = append(notes, Note{Key: key, Entry: strings.TrimSpace(strings.TrimLeft(line, " -*"))})
				}
			}
		}
	}
	return notes
}

// Check returns a bad-input error naming every note whose key is not
// APP/STEP/ASPECT with APP one of apps (or "*") and ASPECT a known aspect
// (never "*": a note expecting every difference expects nothing in
// particular and would hide every regression).
func (n Notes) Check(apps []string) error {
	var errs []error
	for _, note := range n {
		if err := checkKey(note.Key, apps); err != nil {
			errs = append(errs, fmt.Errorf("change note %q: %w", note.Key, err))
		}
	}
	if len(errs) > 0 {
		return failure.BadInputErr(fmt.Errorf("checking the change notes' (release-diff: …) keys: %w", errors.Join(errs...)))
	}
	return nil
}

func checkKey(key string, apps []string) error {
	p := strings.Split(key, "/")
	switch {
	case len(p) != 3 || p[0] == "" || p[1] == "" || p[2] == "":
		return errors.New("want APP/STEP/ASPECT")
	case strings.Contains(p[2], "*"):
		return fmt.Errorf("names no aspect: name one of %s", strings.Join(snapshot.Aspects, ", "))
	case p[0] != "*" && !slices.Contains(apps, p[0]):
		return fmt.Errorf("unknown app %q (apps: %s)", p[0], strings.Join(apps, ", "))
	case !slices.Contains(snapshot.Aspects, p[2]):
		return fmt.Errorf("unknown aspect %q (aspects: %s)", p[2], strings.Join(snapshot.Aspects, ", "))
	}
	return nil
}

// Match returns the note naming key (APP/STEP/ASPECT). A status
// difference (a step that now fails or no longer runs) matches only a
// note naming its app and step.
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
	if k[2] == "status" && strings.Contains(pattern, "*") {
		return false
	}
	for i := range p {
		if p[i] != "*" && p[i] != k[i] {
			return false
		}
	}
	return true
}
