package policy

import (
	"errors"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file renders the text AddDenial inserts and finds the ends of flow
// collections and quoted scalars, which the node tree does not record.

// blockItem renders d as a block list item: the dash at column dash, the
// keys at column key.
func (e *editor) blockItem(d Denial, dash, key int) string {
	if key < dash+2 {
		key = dash + 2
	}
	var b strings.Builder
	b.WriteString(spaces(dash) + "-" + spaces(key-dash-1))
	for i, kv := range fields(d) {
		if i > 0 {
			b.WriteString(spaces(key))
		}
		b.WriteString(kv[0] + ": " + scalar(kv[1], false) + e.nl)
	}
	return b.String()
}

// itemsText is the list of denials under a new or empty "denied:" key, its
// first dash at column dash.
func (e *editor) itemsText(d Denial, dash int) string { return e.blockItem(d, dash, dash+2) }

// deniedText is a "denied:" key at column col with d as its only item.
func (e *editor) deniedText(d Denial, col int) string {
	return spaces(col) + "denied:" + e.nl + e.itemsText(d, col+e.seqInd)
}

// basesText is a "bases:" key in mapping m with d as its only denial.
func (e *editor) basesText(d Denial, m *yaml.Node) string {
	col := m.Content[0].Column - 1
	return spaces(col) + "bases:" + e.nl + e.deniedText(d, col+e.unit)
}

func flowItem(d Denial) string {
	parts := make([]string, 0, 4)
	for _, kv := range fields(d) {
		parts = append(parts, kv[0]+": "+scalar(kv[1], true))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func flowDeniedText(d Denial) string { return "denied: [" + flowItem(d) + "]" }

func flowBasesText(d Denial) string { return "bases: {" + flowDeniedText(d) + "}" }

// fields lists d's keys in the order the policy documents them.
func fields(d Denial) [][2]string {
	f := [][2]string{{"image", d.Image}, {"reason", d.Reason}, {"from", d.From}}
	if d.Replacement != "" {
		f = append(f, [2]string{"replacement", d.Replacement})
	}
	return f
}

// scalar renders s as a one-line YAML string: plain where YAML allows it,
// double-quoted otherwise.
func scalar(s string, flow bool) string {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	out, err := yaml.Marshal(n)
	t := strings.TrimSuffix(string(out), "\n")
	if err == nil && !strings.Contains(t, "\n") && !strings.HasPrefix(t, "|") && !strings.HasPrefix(t, ">") &&
		!(flow && strings.ContainsAny(t, ",[]{}")) {
		return t
	}
	n.Style = yaml.DoubleQuotedStyle
	out, _ = yaml.Marshal(n)
	return strings.TrimSuffix(string(out), "\n")
}

// flowAppend inserts text as the last entry of the flow collection n.
func (e *editor) flowAppend(n *yaml.Node, text string) ([]byte, error) {
	open := e.skipProps(e.offset(n))
	if open >= len(e.data) || (e.data[open] != '[' && e.data[open] != '{') {
		return nil, errors.New("is a flow collection whose start was not found")
	}
	_, lastEnd, lastCh, ok := e.flowScan(open)
	if !ok {
		return nil, errors.New("is a flow collection whose end was not found")
	}
	switch lastCh {
	case '[', '{':
	case ',':
		text = " " + text
	default:
		text = ", " + text
	}
	out := make([]byte, 0, len(e.data)+len(text))
	out = append(out, e.data[:lastEnd]...)
	out = append(out, text...)
	return append(out, e.data[lastEnd:]...), nil
}

// spanEnd returns the offset of the closing quote or bracket of a quoted
// scalar or flow collection.
func (e *editor) spanEnd(n *yaml.Node) (int, bool) {
	start := e.skipProps(e.offset(n))
	switch {
	case n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		if start < len(e.data) && (e.data[start] == '"' || e.data[start] == '\'') {
			return e.quotedEnd(start), true
		}
	case (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle != 0:
		end, _, _, ok := e.flowScan(start)
		return end, ok
	}
	return 0, false
}

// skipProps skips the tag and anchor (and the space and comments around
// them) that a node's position starts with.
func (e *editor) skipProps(off int) int {
	for off < len(e.data) {
		switch c := e.data[off]; {
		case isSpace(c):
			off++
		case c == '#':
			for off < len(e.data) && e.data[off] != '\n' {
				off++
			}
		case c == '!' || c == '&':
			for off < len(e.data) && !isSpace(e.data[off]) && !strings.ContainsRune(",[]{}", rune(e.data[off])) {
				off++
			}
		default:
			return off
		}
	}
	return off
}

// quotedEnd returns the offset of the quote closing the scalar opened at
// start.
func (e *editor) quotedEnd(start int) int {
	q := e.data[start]
	for i := start + 1; i < len(e.data); i++ {
		switch c := e.data[i]; {
		case q == '"' && c == '\\':
			i++
		case c == q && q == '\'' && i+1 < len(e.data) && e.data[i+1] == '\'':
			i++
		case c == q:
			return i
		}
	}
	return len(e.data)
}

// flowScan reads the flow collection opened at open. It returns the offset
// of its closing bracket, and the offset just after and the first byte of
// the last token before that bracket (the opening bracket itself when the
// collection is empty, a comma after a trailing comma).
func (e *editor) flowScan(open int) (end, lastEnd int, lastCh byte, ok bool) {
	depth, expect := 0, true
	lastEnd, lastCh = open+1, e.data[open]
	for i := open; i < len(e.data); i++ {
		c := e.data[i]
		start := i
		switch {
		case isSpace(c):
			continue
		// libyaml starts a comment at any '#' where a token could start.
		case c == '#' && (expect || isSpace(e.data[i-1]) || strings.IndexByte(",[]{}", e.data[i-1]) >= 0):
			for i+1 < len(e.data) && e.data[i+1] != '\n' {
				i++
			}
			continue
		case c == '[' || c == '{':
			depth++
			expect = true
		case c == ']' || c == '}':
			depth--
			expect = false
			if depth == 0 {
				return i, lastEnd, lastCh, true
			}
		case c == ',':
			expect = true
		case c == ':' && (e.indicatorFollows(i) || (i == lastEnd && strings.IndexByte("\"']}", lastCh) >= 0)):
			expect = true
		case c == '?' && e.indicatorFollows(i):
			expect = true
		case expect && (c == '"' || c == '\''):
			i = e.quotedEnd(i)
			expect = false
		case expect && (c == '!' || c == '&'):
			i = e.skipProps(i) - 1
			for i > start && isSpace(e.data[i]) {
				i--
			}
		default:
			expect = false
		}
		lastEnd, lastCh = i+1, c
	}
	return 0, 0, 0, false
}

// indicatorFollows reports whether the byte after i ends a token.
func (e *editor) indicatorFollows(i int) bool {
	return i+1 >= len(e.data) || isSpace(e.data[i+1]) || strings.IndexByte(",[]{}", e.data[i+1]) >= 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
