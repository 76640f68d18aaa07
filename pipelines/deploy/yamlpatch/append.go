package yamlpatch

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Entry is one key and its string value in a mapping that AppendItem or
// AppendList writes.
type Entry struct {
	Key, Value string
}

// AppendItem adds a mapping holding entries, in order, as the last item of
// the block sequence seq: on new lines after the item before it, at its
// column ("- key: value"). Every other byte of the file stays as it was.
func (f *File) AppendItem(seq *yaml.Node, entries ...Entry) error {
	if seq == nil || seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 || len(seq.Content) == 0 {
		return failure.BadInputErr(fmt.Errorf("editing %s: can only add an item to a block list (\"- key: value\" lines): add it by hand", f.name))
	}
	last := seq.Content[len(seq.Content)-1]
	text, node, err := f.item(strings.Repeat(" ", seq.Column-1), entries)
	if err != nil {
		return err
	}
	f.appendAfter(f.blockEnd(last, seq.Column-1), text)
	seq.Content = append(seq.Content, node)
	return nil
}

// AppendList adds "key:" to the block mapping m, after its last entry, with
// a block list holding one mapping of entries. When m has key already and
// its value is written as nothing ("key:" alone), the list becomes that
// value. Any other value of key is refused.
func (f *File) AppendList(m *yaml.Node, key string, entries ...Entry) error {
	if m == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) < 2 {
		return failure.BadInputErr(fmt.Errorf("editing %s: cannot add %q to an empty or flow mapping: add it by hand", f.name, key))
	}
	if !f.simpleKeys(m) {
		return failure.BadInputErr(fmt.Errorf("editing %s line %d: the mapping has keys that are not plain one-line scalars: add %q by hand", f.name, m.Line, key))
	}
	col := m.Content[0].Column - 1
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value != key {
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag != "!!null" || v.Value != "" || f.oneLine(v) != nil {
			return failure.BadInputErr(fmt.Errorf("editing %s line %d: %s is neither a block list nor empty: make it a block list (\"%s:\" then \"- \" lines) or remove it", f.name, k.Line, key, key))
		}
		text, node, err := f.item(strings.Repeat(" ", col+f.listIndent(m)), entries)
		if err != nil {
			return err
		}
		f.appendAfter(k.Line, text)
		m.Content[i+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{node}}
		return nil
	}
	k, err := renderKey(key)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("editing %s: key %q: %w", f.name, key, err))
	}
	text, node, err := f.item(strings.Repeat(" ", col+f.listIndent(m)), entries)
	if err != nil {
		return err
	}
	lastKey := m.Content[len(m.Content)-2]
	f.appendAfter(f.blockEnd(m.Content[len(m.Content)-1], col, lastKey.Line), strings.Repeat(" ", col)+k+":\n"+text)
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{node}})
	return nil
}

// simpleKeys reports whether every key of m is a one-line scalar written at
// the start of its line or after list dashes ("- key:"), not an explicit
// "? key" or an empty key.
func (f *File) simpleKeys(m *yaml.Node) bool {
	for i := 0; i < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode || f.oneLine(k) != nil {
			return false
		}
		start, end, _ := f.span(k)
		if start == end || strings.Trim(string(f.src[f.lines[k.Line-1]:start]), " -") != "" {
			return false
		}
	}
	return true
}

// item renders entries as one list item at indent (lines end with \n) and
// returns the mapping node it stands for.
func (f *File) item(indent string, entries []Entry) (string, *yaml.Node, error) {
	if len(entries) == 0 {
		return "", nil, fmt.Errorf("editing %s: no entries to add", f.name)
	}
	node := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var b strings.Builder
	for i, e := range entries {
		k, err := renderKey(e.Key)
		if err != nil {
			return "", nil, failure.BadInputErr(fmt.Errorf("editing %s: key %q: %w", f.name, e.Key, err))
		}
		v, err := render(0, e.Value, false)
		if err != nil {
			return "", nil, failure.BadInputErr(fmt.Errorf("editing %s: value for %q: %w", f.name, e.Key, err))
		}
		lead := indent + "  "
		if i == 0 {
			lead = indent + "- "
		}
		b.WriteString(lead + k + ": " + v + "\n")
		node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.Key},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.Value})
	}
	return b.String(), node, nil
}

// listIndent returns how far the file indents a block list under its key,
// read from the first such list in m: 0 ("key:\n- a") or, by default, 2.
func (f *File) listIndent(m *yaml.Node) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if v := m.Content[i+1]; v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && v.Line > m.Content[i].Line {
			return max(0, v.Column-m.Content[i].Column)
		}
	}
	return 2
}

// blockEnd returns the last line of the node n, written in a block whose
// lines after the first are indented more than col columns: the last line
// holding a token of n, then the lines below it that are blank or indented
// deeper (the rest of a block scalar, comments inside the block), and lines
// that only close a flow collection. The start lines given in from count too.
func (f *File) blockEnd(n *yaml.Node, col int, from ...int) int {
	last := lastLine(n)
	for _, l := range from {
		last = max(last, l)
	}
	end := last
	for l := last + 1; l <= len(f.lines); l++ {
		line := f.line(l)
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case len(line)-len(trimmed) > col, strings.ContainsAny(trimmed[:1], "]},"):
			end = l
			continue
		}
		break
	}
	return end
}

// lastLine returns the last line on which a token of n starts.
func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

// line returns the text of the 1-based line l, without its line break.
func (f *File) line(l int) string {
	start, end := f.lines[l-1], len(f.src)
	if l < len(f.lines) {
		end = f.lines[l]
	}
	return strings.TrimRight(string(f.src[start:end]), "\r\n")
}

// appendAfter inserts text (lines ending in \n) after the 1-based line l,
// with the file's line breaks.
func (f *File) appendAfter(l int, text string) {
	nl := f.newline(l)
	text = strings.ReplaceAll(text, "\n", nl)
	at := len(f.src)
	if l < len(f.lines) {
		at = f.lines[l]
	} else {
		text = nl + strings.TrimSuffix(text, nl) // the last line has no line break
	}
	f.insert = append(f.insert, edit{start: at, end: at, text: text})
}
