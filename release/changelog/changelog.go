package changelog

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Change types: the "###" group names paved knows under Unreleased.
const (
	Breaking   = "Breaking"
	Added      = "Added"
	Changed    = "Changed"
	Deprecated = "Deprecated"
	Removed    = "Removed"
	Fixed      = "Fixed"
	Security   = "Security"
)

// ChangeTypes lists the known group names in Keep a Changelog's order, with
// Breaking first.
var ChangeTypes = []string{Breaking, Added, Changed, Deprecated, Removed, Fixed, Security}

// ErrNoUnreleased is returned (as bad input) when the file has no
// "## [Unreleased]" section.
var ErrNoUnreleased = errors.New("no ## [Unreleased] section")

// Changelog is a parsed changelog. It keeps the file's bytes and the byte
// offsets of what it found, so edits splice the file instead of rewriting it.
type Changelog struct {
	data     []byte
	Sections []Section
	// Links are the link reference definitions ("[0.1.0]: URL") at the end
	// of the file, in order.
	Links []Link
	// linksStart is where the trailing block of link definitions begins
	// (len(data) when there is none).
	linksStart int
}

// Section is one "##" section: Unreleased or a release.
type Section struct {
	// Name is the heading's name without brackets: "Unreleased" or "0.1.0".
	Name string
	// Heading is the heading line as written, e.g. "## [0.1.0] - 2026-11-02".
	Heading string
	// Line is the 1-based line number of the heading.
	Line int
	// Date is the release date after the name ("2026-11-02"), if any.
	Date string
	// Start is the offset of the heading line; BodyStart the offset after
	// it; End the offset where the next section or the link block begins.
	Start, BodyStart, End int
	// Groups are the "###" groups of the section, in order.
	Groups []Group
	// Loose counts list items that are not under any "###" group.
	Loose int
}

// Group is one "###" group of a section.
type Group struct {
	// Name is the heading text, e.g. "Added".
	Name string
	// Line is the 1-based line number of the heading.
	Line int
	// Entries counts the list items of the group: "-", "*" or "+" bullets
	// and ordered items ("1." or "1)"), indented by at most three spaces.
	Entries int
	// Text counts the lines before the group's first item that are neither
	// blank nor HTML comments: prose a bump cannot be read from.
	Text int
}

// Link is a link reference definition "[Name]: URL".
type Link struct {
	Name, URL string
	// Start and End are the offsets of the definition's line.
	Start, End int
}

var (
	sectionRe = regexp.MustCompile(`^##[ \t]+\[?([^\]\s]+)\]?(?:[ \t]+-[ \t]+(\S+))?`)
	linkRe    = regexp.MustCompile(`^\[([^\]]+)\]:[ \t]*(\S+)[ \t]*$`)
	// itemRe is a CommonMark list item: up to three spaces, a bullet or an
	// ordered marker, then a space or the end of the line.
	itemRe = regexp.MustCompile(`^ {0,3}(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]|$)`)
)

// Parse reads a Keep a Changelog file. It fails only on structure it cannot
// read safely: a second Unreleased section.
func Parse(data []byte) (*Changelog, error) {
	c := &Changelog{data: data, linksStart: len(data)}
	lines := splitLines(data)
	c.findLinks(lines)
	fenced, comment := false, false
	var cur *Section
	var group *Group
	for i, l := range lines {
		if l.start >= c.linksStart {
			break
		}
		text := strings.TrimRight(string(data[l.start:l.end]), "\r\n")
		if strings.HasPrefix(strings.TrimLeft(text, " "), "```") {
			fenced = !fenced
			continue
		}
		if !fenced && (comment || strings.HasPrefix(strings.TrimSpace(text), "<!--")) {
			comment = !strings.Contains(text, "-->")
			continue
		}
		switch {
		case fenced:
		case strings.HasPrefix(text, "## "):
			m := sectionRe.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			if cur != nil {
				cur.End = l.start
			}
			c.Sections = append(c.Sections, Section{Name: m[1], Date: m[2], Heading: strings.TrimSpace(text), Line: i + 1, Start: l.start, BodyStart: l.end})
			cur, group = &c.Sections[len(c.Sections)-1], nil
		case cur != nil && strings.HasPrefix(text, "### "):
			cur.Groups = append(cur.Groups, Group{Name: strings.TrimSpace(text[4:]), Line: i + 1})
			group = &cur.Groups[len(cur.Groups)-1]
		case cur != nil && isItem(text):
			if group != nil {
				group.Entries++
			} else {
				cur.Loose++
			}
		case group != nil && group.Entries == 0 && strings.TrimSpace(text) != "":
			group.Text++
		}
	}
	if cur != nil {
		cur.End = c.linksStart
	}
	if n := c.count("unreleased"); n > 1 {
		return nil, failure.BadInputErr(fmt.Errorf("reading changelog: %d Unreleased sections: keep one", n))
	}
	return c, nil
}

// Unreleased returns the Unreleased section, or ErrNoUnreleased.
func (c *Changelog) Unreleased() (*Section, error) {
	i, err := c.unreleased()
	if err != nil {
		return nil, err
	}
	return &c.Sections[i], nil
}

func (c *Changelog) unreleased() (int, error) {
	for i := range c.Sections {
		if strings.EqualFold(c.Sections[i].Name, "unreleased") {
			return i, nil
		}
	}
	return 0, failure.BadInputErr(fmt.Errorf("reading changelog: %w: add one above the releases", ErrNoUnreleased))
}

// versionRe is what a release heading's name looks like: 1.2.3 or v1.2.3,
// with any suffix.
var versionRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+`)

// checkAfterUnreleased refuses a "## " heading right after Unreleased that
// is not a release: the notes under it belong to Unreleased, and reading
// them as another section would drop them from the bump.
func (c *Changelog) checkAfterUnreleased(i int) error {
	if i+1 >= len(c.Sections) {
		return nil
	}
	s := c.Sections[i+1]
	if versionRe.MatchString(s.Name) {
		return nil
	}
	return failure.BadInputErr(fmt.Errorf("reading Unreleased: heading %q on line %d is inside Unreleased but is no release: make it a ### group or bold text, or move it below the releases", s.Heading, s.Line))
}

// Section returns the section of version ("1.2.3" or "v1.2.3"), if any.
func (c *Changelog) Section(version string) (*Section, bool) {
	v := strings.TrimPrefix(version, "v")
	for i := range c.Sections {
		if strings.TrimPrefix(c.Sections[i].Name, "v") == v {
			return &c.Sections[i], true
		}
	}
	return nil, false
}

func (c *Changelog) count(name string) int {
	n := 0
	for _, s := range c.Sections {
		if strings.EqualFold(s.Name, name) {
			n++
		}
	}
	return n
}

// findLinks finds the trailing block of link definitions: the last lines of
// the file that are link definitions or blank, starting at a definition.
func (c *Changelog) findLinks(lines []line) {
	start := len(lines)
	for i := len(lines) - 1; i >= 0; i-- {
		text := strings.TrimRight(string(c.data[lines[i].start:lines[i].end]), "\r\n")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !linkRe.MatchString(text) {
			break
		}
		start = i
	}
	if start == len(lines) {
		return
	}
	c.linksStart = lines[start].start
	for _, l := range lines[start:] {
		text := strings.TrimRight(string(c.data[l.start:l.end]), "\r\n")
		if m := linkRe.FindStringSubmatch(text); m != nil {
			c.Links = append(c.Links, Link{Name: m[1], URL: m[2], Start: l.start, End: l.end})
		}
	}
}

type line struct{ start, end int }

// splitLines returns the offsets of each line, its newline included.
func splitLines(data []byte) []line {
	var out []line
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start + 1
		}
		out = append(out, line{start, end})
		start = end
	}
	return out
}

func isItem(text string) bool {
	return itemRe.MatchString(text)
}
