package yamlpatch

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Set replaces the value of the scalar node n, which must come from this
// file, with value (a string). The node keeps its quoting style, unless a
// plain scalar would no longer read as the string value, in which case it is
// double-quoted. Block scalars (| and >), multi-line scalars and scalars
// with an explicit non-string tag are refused.
func (f *File) Set(n *yaml.Node, value string) error {
	if n == nil || n.Kind != yaml.ScalarNode {
		return failure.BadInputErr(fmt.Errorf("editing %s: the value to set is not a scalar: change the key path", f.name))
	}
	if n.Value == value && n.Tag == "!!str" {
		return nil
	}
	if n.Style&yaml.TaggedStyle != 0 && n.Tag != "!!str" {
		return failure.BadInputErr(fmt.Errorf("editing %s line %d: the value has explicit tag %s: remove the tag", f.name, n.Line, n.Tag))
	}
	start, end, err := f.span(n)
	if err != nil {
		return err
	}
	text, err := render(n.Style, value, f.flow[n])
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("editing %s line %d: %w", f.name, n.Line, err))
	}
	if start == end {
		if text, err = f.emptyValue(n, start, text); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(text) > 1024 && f.isKey(n) {
		return failure.BadInputErr(fmt.Errorf("editing %s line %d: a key of more than 1024 characters cannot be written without ?: give a shorter key", f.name, n.Line))
	}
	if n.Style == 0 && strings.HasPrefix(strings.TrimLeft(text, " "), "\"") && f.tabbedBlankAfter(end) {
		// A plain value may run on over blank lines holding tabs; once
		// quoted, such a line is no longer part of it and does not parse.
		return failure.BadInputErr(fmt.Errorf("editing %s line %d: a blank or comment line after the value starts with a tab: remove the tab", f.name, n.Line))
	}
	f.edits[n] = edit{start: start, end: end, text: text}
	n.Value, n.Tag = value, "!!str"
	return nil
}

// Insert adds the entry key: value to the block mapping m on a new line with
// the indentation of its entries: after the last entry written on one line
// (an entry Insert added before counts as written after its anchor), before
// the first entry otherwise. A mapping that opens a sequence item
// ("- name: x") gets the new entry after an entry, indented to the column of
// its keys. Any other mapping that does not start on its own line is refused.
func (f *File) Insert(m *yaml.Node, key, value string) error {
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) < 2 {
		return failure.BadInputErr(fmt.Errorf("editing %s line %d: cannot add %q to an empty or flow mapping: add it by hand", f.name, m.Line, key))
	}
	anchor, after := f.insertAnchor(m)
	off, err := f.offset(anchor)
	if err != nil {
		return err
	}
	indent := f.src[f.lines[anchor.Line-1]:off]
	if len(bytes.Trim(indent, " ")) != 0 {
		if v := m.Content[1]; !after && anchor == m.Content[0] && v.Kind == yaml.ScalarNode && v.Line == anchor.Line && f.oneLine(v) == nil {
			after = true // "- image: x" followed by a nested entry: insert after "image"
		}
		if !after || len(bytes.Trim(indent, " -")) != 0 {
			return failure.BadInputErr(fmt.Errorf("editing %s line %d: the mapping does not start on its own line: add %q by hand", f.name, anchor.Line, key))
		}
		// "  - name: x": the mapping's keys sit at the column of "name".
		indent = bytes.Repeat([]byte(" "), len(indent))
	}
	k, err := renderKey(key)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("editing %s: key %q: %w", f.name, key, err))
	}
	v, err := render(0, value, false)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("editing %s: value for %q: %w", f.name, key, err))
	}
	var at int
	text, nl := string(indent)+k+": "+v, f.newline(anchor.Line)
	switch {
	case !after:
		at, text = f.lines[anchor.Line-1], text+nl
	case anchor.Line < len(f.lines):
		at, text = f.lines[anchor.Line], text+nl
	default: // the last line of a file without a final line break
		at, text = len(f.src), nl+text
	}
	f.insert = append(f.insert, edit{start: at, end: at, text: text})
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
	return nil
}

// insertAnchor picks the entry an insertion goes next to: the last entry
// from the source (not one Insert added) whose value is a one-line scalar on
// the key's line, to insert after; else the first entry, to insert before.
func (f *File) insertAnchor(m *yaml.Node) (anchor *yaml.Node, after bool) {
	for i := len(m.Content) - 2; i >= 0; i -= 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Line == 0 {
			continue // added by Insert: it follows its own anchor
		}
		if v.Kind == yaml.ScalarNode && v.Line == k.Line && f.oneLine(v) == nil {
			return k, true
		}
		break
	}
	return m.Content[0], false
}

// oneLine returns an error unless the scalar n can be edited in place.
func (f *File) oneLine(n *yaml.Node) error {
	_, _, err := f.span(n)
	return err
}

// newline returns the line break that ends the given 1-based line.
func (f *File) newline(line int) string {
	if line < len(f.lines) {
		start, end := f.lines[line-1], f.lines[line]
		if end-start >= 2 && f.src[end-2] == '\r' && f.src[end-1] == '\n' {
			return "\r\n"
		}
		if r, _ := utf8.DecodeLastRune(f.src[start:end]); r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			return string(r)
		}
	}
	return "\n"
}

// Bytes returns the file with every edit applied. It re-parses the result and
// fails if any value other than the edited ones would change meaning.
func (f *File) Bytes() ([]byte, error) {
	edits := append([]edit(nil), f.insert...)
	for _, e := range f.edits {
		edits = append(edits, e)
	}
	if len(edits) == 0 {
		return f.src, nil
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out bytes.Buffer
	pos := 0
	for _, e := range edits {
		if e.start < pos {
			return nil, fmt.Errorf("editing %s: overlapping edits at byte %d", f.name, e.start)
		}
		out.Write(f.src[pos:e.start])
		out.WriteString(e.text)
		pos = e.end
	}
	out.Write(f.src[pos:])
	if err := f.verify(out.Bytes()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// verify checks that out means what the edited node tree means.
func (f *File) verify(out []byte) error {
	docs, err := decodeAll(out)
	if err != nil || len(docs) != len(f.docs) {
		return fmt.Errorf("editing %s: the edited file does not parse back (%v): please report this", f.name, err)
	}
	for i := range docs {
		want, err := canonical(f.docs[i])
		if err != nil {
			// The edit itself is wrong (a key set to the name of another).
			return failure.BadInputErr(fmt.Errorf("editing %s: the edited document %d would not be valid: %w", f.name, i+1, err))
		}
		got, err := canonical(docs[i])
		if err != nil || got != want {
			return fmt.Errorf("editing %s: the edit would change document %d beyond the edited values: please report this", f.name, i+1)
		}
	}
	return nil
}

// canonical renders a document's meaning (not its formatting) as text.
func canonical(doc *yaml.Node) (string, error) {
	var v any
	if err := doc.Decode(&v); err != nil {
		return "", err
	}
	b, err := yaml.Marshal(v)
	return string(b), err
}

// span returns the byte range of the scalar's text, after its anchor and tag.
func (f *File) span(n *yaml.Node) (int, int, error) {
	fail := func(why string) (int, int, error) {
		return 0, 0, failure.BadInputErr(fmt.Errorf("editing %s line %d: %s", f.name, n.Line, why))
	}
	if _, done := f.edits[n]; done {
		e := f.edits[n]
		return e.start, e.end, nil
	}
	start, err := f.offset(n)
	if err != nil {
		return 0, 0, err
	}
	src := f.src
	for start < len(src) && (src[start] == '&' || src[start] == '!') {
		for start < len(src) && !isSpace(src[start]) {
			start++
		}
		for start < len(src) && (src[start] == ' ' || src[start] == '\t') {
			start++
		}
	}
	var end int
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return fail("block scalars (| or >) are not edited: make it a one-line value")
	case n.Style&yaml.DoubleQuotedStyle != 0:
		end = closeQuote(src, start, '"')
	case n.Style&yaml.SingleQuotedStyle != 0:
		end = closeQuote(src, start, '\'')
	default:
		end = plainEnd(src, start, f.flow[n])
		if string(src[start:end]) != n.Value {
			return fail("the value spans several lines: make it a one-line value")
		}
	}
	if end < 0 || bytes.ContainsAny(src[start:end], "\r\n") {
		return fail("the value spans several lines: make it a one-line value")
	}
	return start, end, nil
}

// isKey reports whether n is a key of a mapping of the file.
func (f *File) isKey(n *yaml.Node) bool {
	var walk func(m *yaml.Node) bool
	walk = func(m *yaml.Node) bool {
		for i, c := range m.Content {
			if (m.Kind == yaml.MappingNode && i%2 == 0 && c == n) || walk(c) {
				return true
			}
		}
		return false
	}
	for _, d := range f.docs {
		if walk(d) {
			return true
		}
	}
	return false
}

// emptyValue returns the text that sets a value written as nothing at all
// ("tag:" with nothing after the colon, "- " with nothing after the dash).
// It starts right after its indicator, so it needs a space first ("tag:v1"
// would be another key). A value with no indicator before it ("{a}", "? a")
// is not written in the file and is refused.
func (f *File) emptyValue(n *yaml.Node, start int, text string) (string, error) {
	i := start - 1
	for i >= 0 && (f.src[i] == ' ' || f.src[i] == '\t') {
		i--
	}
	// With an anchor or a tag ("&a:" is the anchor "a:"), what precedes is
	// not the indicator; a "-" is one only as a block list's entry.
	// A ":" is the indicator only when a blank or the end follows it
	// ("{a:}" is the key "a:").
	dash := i >= 0 && f.src[i] == '-' && !f.flow[n] && (i == 0 || isSpace(f.src[i-1]))
	colon := i >= 0 && f.src[i] == ':' && (i+1 == len(f.src) || isSpace(f.src[i+1]))
	if (!colon && !dash) || n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 {
		return "", failure.BadInputErr(fmt.Errorf("editing %s line %d: the value is not written in the file: write it (key: value) by hand", f.name, n.Line))
	}
	if i == start-1 {
		return " " + text, nil
	}
	return text, nil
}

// tabbedBlankAfter reports whether one of the blank or comment-only lines
// right after the line holding src[off] has a tab in its leading blanks.
func (f *File) tabbedBlankAfter(off int) bool {
	i := bytes.IndexAny(f.src[off:], "\r\n")
	if i < 0 {
		return false
	}
	for _, line := range strings.FieldsFunc(string(f.src[off+i:]), func(r rune) bool { return r == '\n' || r == '\r' }) {
		rest := strings.TrimLeft(line, " \t")
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return false
		}
		if strings.Contains(line[:len(line)-len(rest)], "\t") {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// closeQuote returns the offset just after the quote closing the scalar that
// opens at src[start], or -1.
func closeQuote(src []byte, start int, q byte) int {
	if start >= len(src) || src[start] != q {
		return -1
	}
	for i := start + 1; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case q == '\'' && src[i] == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case src[i] == q:
			return i + 1
		}
	}
	return -1
}

// plainEnd returns the end of the plain scalar starting at src[start]: the
// end of the line, a comment, or in a flow collection a flow indicator,
// without trailing blanks.
func plainEnd(src []byte, start int, inFlow bool) int {
	end := start
	for end < len(src) {
		c := src[end]
		if c == '\n' || c == '\r' {
			break
		}
		if c == '#' && end > start && (src[end-1] == ' ' || src[end-1] == '\t') {
			break
		}
		if inFlow && (c == ',' || c == ']' || c == '}') {
			break
		}
		if c == ':' && end+1 < len(src) && isSpace(src[end+1]) {
			break
		}
		end++
	}
	for end > start && (src[end-1] == ' ' || src[end-1] == '\t') {
		end--
	}
	return end
}
