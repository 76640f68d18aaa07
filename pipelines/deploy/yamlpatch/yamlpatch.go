// Package yamlpatch edits scalar values in YAML files in place: the new value
// is written at the position go.yaml.in/yaml/v3 parsed the old one from, so
// every other byte of the file (comments, blank lines, key order, quoting,
// indentation, other documents) stays as it was.
//
// A File is parsed once, edited with Set and Insert, and rendered with Bytes,
// which re-parses its own output and refuses to return a result whose
// meaning differs from the intended edit.
package yamlpatch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// MaxExpandedNodes bounds the number of nodes a file may expand to once its
// aliases are resolved, beyond ten times its literal node count. Files over
// the bound are refused as a YAML bomb.
const MaxExpandedNodes = 100_000

// ErrYAMLBomb is returned (wrapped) for a file whose aliases expand beyond
// MaxExpandedNodes or refer to themselves.
var ErrYAMLBomb = errors.New("YAML aliases expand too far (a YAML bomb?)")

// File is a parsed YAML file (one or more documents) and the edits made to it.
type File struct {
	name   string
	src    []byte
	docs   []*yaml.Node
	lines  []int // byte offset of the start of each line
	flow   map[*yaml.Node]bool
	edits  map[*yaml.Node]edit
	insert []edit
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// Parse parses src, which was read from the file called name (name is used
// in errors only). Invalid UTF-8, YAML that does not parse and YAML bombs are
// refused as bad input naming the file.
func Parse(name string, src []byte) (*File, error) {
	if !utf8.Valid(src) {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %s: not UTF-8: save it as UTF-8", name))
	}
	docs, err := decodeAll(src)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %s: %w: fix the YAML", name, err))
	}
	f := &File{name: name, src: src, docs: docs, lines: lineStarts(src), flow: map[*yaml.Node]bool{}, edits: map[*yaml.Node]edit{}}
	literal := 0
	for _, d := range docs {
		markFlow(d, false, f.flow, &literal)
	}
	if err := checkExpansion(docs, literal); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %s: %w: remove the aliases", name, err))
	}
	for i, d := range docs {
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, failure.BadInputErr(fmt.Errorf("parsing %s (document %d): %w: fix the YAML", name, i+1, err))
		}
	}
	return f, nil
}

// decodeAll returns the document nodes of every document in src.
func decodeAll(src []byte) (docs []*yaml.Node, err error) {
	defer func() {
		// yaml.v3 reports some malformed input by panicking.
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("%v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		docs = append(docs, &n)
	}
}

// Name returns the file name given to Parse.
func (f *File) Name() string { return f.name }

// Documents returns the document nodes of the file, in order. Edits are made
// to scalar nodes found under them; the nodes are updated as edits are made.
func (f *File) Documents() []*yaml.Node { return f.docs }

// Changed reports whether an edit changes the file.
func (f *File) Changed() bool {
	out, err := f.Bytes()
	return err == nil && !bytes.Equal(out, f.src)
}

// markFlow records which nodes sit inside a flow collection and counts the
// literal nodes.
func markFlow(n *yaml.Node, inFlow bool, flow map[*yaml.Node]bool, count *int) {
	*count++
	if n.Kind == yaml.AliasNode {
		return
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle != 0 {
		inFlow = true
	}
	flow[n] = inFlow
	for _, c := range n.Content {
		markFlow(c, inFlow, flow, count)
	}
}

// checkExpansion refuses documents whose aliases expand beyond the bound or
// refer to a node that contains them.
func checkExpansion(docs []*yaml.Node, literal int) error {
	limit := MaxExpandedNodes + 10*literal
	memo := map[*yaml.Node]int{}
	active := map[*yaml.Node]bool{}
	var size func(n *yaml.Node) (int, error)
	size = func(n *yaml.Node) (int, error) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if s, ok := memo[n]; ok {
			return s, nil
		}
		if active[n] {
			return 0, fmt.Errorf("%w: anchor %q refers to itself", ErrYAMLBomb, n.Anchor)
		}
		active[n] = true
		total := 1
		for _, c := range n.Content {
			s, err := size(c)
			if err != nil {
				return 0, err
			}
			if total += s; total > limit {
				return 0, fmt.Errorf("%w: more than %d nodes", ErrYAMLBomb, limit)
			}
		}
		delete(active, n)
		memo[n] = total
		return total, nil
	}
	sum := 0
	for _, d := range docs {
		s, err := size(d)
		if err != nil {
			return err
		}
		if sum += s; sum > limit {
			return fmt.Errorf("%w: more than %d nodes", ErrYAMLBomb, limit)
		}
	}
	return nil
}

// lineStarts returns the byte offset at which each line starts, breaking
// lines where the YAML scanner does.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i := 0; i < len(src); {
		r, w := utf8.DecodeRune(src[i:])
		switch {
		case r == '\r' && i+1 < len(src) && src[i+1] == '\n':
			w = 2
			starts = append(starts, i+w)
		case r == '\r' || r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			starts = append(starts, i+w)
		}
		i += w
	}
	return starts
}

// offset converts a node's 1-based line and column (in characters) to a
// byte offset in src.
func (f *File) offset(n *yaml.Node) (int, error) {
	if n.Line < 1 || n.Line > len(f.lines) || n.Column < 1 {
		return 0, fmt.Errorf("editing %s: node at line %d column %d is outside the file", f.name, n.Line, n.Column)
	}
	off := f.lines[n.Line-1]
	if n.Line == 1 && bytes.HasPrefix(f.src, []byte("\uFEFF")) {
		off += 3 // the scanner does not count the byte order mark
	}
	for col := 1; col < n.Column; col++ {
		if off >= len(f.src) {
			return 0, fmt.Errorf("editing %s: column %d is past the end of line %d", f.name, n.Column, n.Line)
		}
		_, w := utf8.DecodeRune(f.src[off:])
		off += w
	}
	return off, nil
}
