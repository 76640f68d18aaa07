package policy

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file holds the editor: the document's lines, its indentation style,
// and where a block node ends, which the node tree does not record.

// editor inserts text into a YAML document at positions taken from its
// parsed node tree, so that the bytes around the insertion stay as they are.
type editor struct {
	data  []byte
	lines []int // byte offset at which each line starts
	nl    string
	// cont marks lines that start inside a quoted scalar or a flow
	// collection: they continue the line before whatever their indentation.
	cont   map[int]bool
	unit   int // the document's mapping indentation
	seqInd int // how far a block list's dash sits right of its key
}

func newEditor(data []byte, doc *yaml.Node) *editor {
	e := &editor{data: data, lines: []int{0}, nl: "\n", cont: map[int]bool{}, unit: 2, seqInd: -1}
	for i, c := range data {
		if c == '\n' {
			e.lines = append(e.lines, i+1)
		}
	}
	if strings.Contains(string(data), "\r\n") {
		e.nl = "\r\n"
	}
	unitFound := false
	walk(doc, func(n *yaml.Node, key *yaml.Node) {
		if key != nil && n.Style&yaml.FlowStyle == 0 && key.Line < n.Line {
			switch n.Kind {
			case yaml.MappingNode:
				if !unitFound && n.Column > key.Column {
					e.unit, unitFound = n.Column-key.Column, true
				}
			case yaml.SequenceNode:
				if e.seqInd < 0 {
					e.seqInd = n.Column - key.Column
				}
			}
		}
		if end, ok := e.spanEnd(n); ok {
			for l := e.lineOf(e.offset(n)) + 1; l < len(e.lines) && e.lines[l] <= end; l++ {
				e.cont[l] = true
			}
		}
	})
	if e.seqInd < 0 {
		e.seqInd = e.unit
	}
	return e
}

// walk visits every node with the mapping key it is the value of.
func walk(n *yaml.Node, f func(n, key *yaml.Node)) {
	var rec func(n, key *yaml.Node)
	rec = func(n, key *yaml.Node) {
		f(n, key)
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				rec(n.Content[i], nil)
				rec(n.Content[i+1], n.Content[i])
			}
			return
		}
		for _, c := range n.Content {
			rec(c, nil)
		}
	}
	rec(n, nil)
}

// blockEnd returns the last line of the block node n whose first line is
// start: following lines belong to it while content says so of their
// indentation and text; blank and comment lines do not end it.
func (e *editor) blockEnd(start int, n *yaml.Node, content func(indent int, s string) bool) int {
	last := start
	for l := start + 1; l < len(e.lines); l++ {
		if e.cont[l] {
			last = l
			continue
		}
		s := e.lineText(l)
		if docMarker.MatchString(s) {
			break
		}
		t := strings.TrimLeft(s, " \t")
		if t == "" || t[0] == '#' {
			continue
		}
		if !content(len(s)-len(strings.TrimLeft(s, " ")), t) {
			break
		}
		last = l
	}
	if e.keepsTrailingLines(n) {
		for last+1 < len(e.lines) && strings.TrimSpace(e.lineText(last+1)) == "" && e.lines[last+1] < len(e.data) {
			last++
		}
	}
	return last
}

var docMarker = regexp.MustCompile(`^(---|\.\.\.)([ \t].*)?$`)

// keepsTrailingLines reports whether n holds a block scalar with keep
// chomping (|+): its trailing blank lines are part of its value.
func (e *editor) keepsTrailingLines(n *yaml.Node) bool {
	keep := false
	walk(n, func(c, _ *yaml.Node) {
		if c.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && keepHeader.Match(e.data[e.skipProps(e.offset(c)):]) {
			keep = true
		}
	})
	return keep
}

var keepHeader = regexp.MustCompile(`^[|>][1-9]?\+`)

func (e *editor) insertAfterLine(line int, text string) []byte {
	return e.insert(e.data, e.lineEnd(line), text)
}

// lineEnd is the offset just after line's newline (or the end of data).
func (e *editor) lineEnd(line int) int {
	if line+1 < len(e.lines) {
		return e.lines[line+1]
	}
	return len(e.data)
}

// insert inserts text at offset at of data, on a line of its own.
func (e *editor) insert(data []byte, at int, text string) []byte {
	out := make([]byte, 0, len(data)+len(text)+2)
	out = append(out, data[:at]...)
	if at > 0 && data[at-1] != '\n' {
		out = append(out, e.nl...)
	}
	out = append(out, text...)
	return append(out, data[at:]...)
}

func (e *editor) lineText(l int) string {
	end := len(e.data)
	if l+1 < len(e.lines) {
		end = e.lines[l+1]
	}
	return strings.TrimRight(string(e.data[e.lines[l]:end]), "\r\n")
}

func (e *editor) lineOf(off int) int {
	l := 0
	for l+1 < len(e.lines) && e.lines[l+1] <= off {
		l++
	}
	return l
}

// offset converts a node's line and column (1-based, in characters) to a
// byte offset.
func (e *editor) offset(n *yaml.Node) int {
	if n.Line < 1 || n.Line > len(e.lines) {
		return len(e.data)
	}
	off := e.lines[n.Line-1]
	for c := 1; c < n.Column && off < len(e.data); c++ {
		_, size := utf8.DecodeRune(e.data[off:])
		off += size
	}
	return off
}

func spaces(n int) string { return strings.Repeat(" ", n) }
