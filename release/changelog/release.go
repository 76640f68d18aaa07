package changelog

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Release returns data with the Unreleased notes moved into a new section
// "## [X.Y.Z] - YYYY-MM-DD" (date in its own location) right below an empty
// "## [Unreleased]". When the file ends in link reference definitions and
// the Unreleased link has the form ".../compare/PREV...HEAD", it becomes
// ".../compare/vX.Y.Z...HEAD" and "[X.Y.Z]: .../compare/PREV...vX.Y.Z" is
// added below it; other links are left alone. Every other byte is kept.
func Release(data []byte, version string, date time.Time) ([]byte, error) {
	v, err := ParseVersion(version)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if _, err := c.BumpOf(); err != nil {
		return nil, err
	}
	if _, ok := c.Section(v.String()); ok {
		return nil, failure.BadInputErr(fmt.Errorf("releasing %s: the changelog already has a section for it", version))
	}
	u, _ := c.Unreleased()
	nl := newline(data[u.Start:u.BodyStart])
	var out bytes.Buffer
	out.Grow(len(data) + 200)
	out.Write(data[:u.BodyStart])
	if !bytes.HasSuffix(data[:u.BodyStart], []byte("\n")) {
		out.WriteString(nl)
	}
	out.WriteString(nl)
	fmt.Fprintf(&out, "## [%s] - %s%s", v.String(), date.Format(time.DateOnly), nl)
	body := data[u.BodyStart:u.End]
	out.Write(body)
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\n")) {
		out.WriteString(nl)
	}
	rest, err := c.releaseLinks(data[u.End:], u.End, "v"+v.String(), nl)
	if err != nil {
		return nil, err
	}
	out.Write(rest)
	return out.Bytes(), nil
}

// releaseLinks returns tail (the file from offset off) with the Unreleased
// link moved to tag and the new version's link added.
func (c *Changelog) releaseLinks(tail []byte, off int, tag, nl string) ([]byte, error) {
	for _, l := range c.Links {
		if !strings.EqualFold(l.Name, "unreleased") || l.Start < off {
			continue
		}
		base, prev, ok := compareURL(l.URL)
		if !ok {
			return tail, nil
		}
		var out bytes.Buffer
		out.Write(tail[:l.Start-off])
		fmt.Fprintf(&out, "[%s]: %s%s...HEAD%s", c.data[l.Start+1:l.Start+1+len(l.Name)], base, tag, nl)
		fmt.Fprintf(&out, "[%s]: %s%s...%s%s", strings.TrimPrefix(tag, "v"), base, prev, tag, nl)
		out.Write(tail[l.End-off:])
		return out.Bytes(), nil
	}
	return tail, nil
}

// compareURL splits ".../compare/PREV...HEAD" into ".../compare/" and PREV.
func compareURL(u string) (base, prev string, ok bool) {
	i := strings.LastIndex(u, "/compare/")
	if i < 0 || !strings.HasSuffix(u, "...HEAD") {
		return "", "", false
	}
	base = u[:i+len("/compare/")]
	prev = strings.TrimSuffix(u[len(base):], "...HEAD")
	if prev == "" || strings.Contains(prev, "...") {
		return "", "", false
	}
	return base, prev, true
}

// newline returns the line ending the heading line uses.
func newline(heading []byte) string {
	if bytes.HasSuffix(heading, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}
