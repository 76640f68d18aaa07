package yamlpatch_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// FuzzSet edits the i-th scalar of arbitrary YAML. Whenever the patcher
// accepts the edit, the result must parse, hold the new value, and differ
// from the input on at most the edited line.
func FuzzSet(f *testing.F) {
	f.Add("image:\n  repository: r # c\n  tag: \"v1\"\n", 2, "v2")
	f.Add("a: [x, 'y', \"z\"]\n---\nb: {c: d}\n", 3, "sha256:ab,c")
	f.Add("- &a x\n- *a\n- !!str 1\n", 1, "#x")
	f.Add("k: v\r\nl: w\r\n", 1, "it's")
	f.Add("image:\n  tag:\n  digest: # none yet\nnewTag:", 1, "v1")
	f.Fuzz(func(t *testing.T, src string, i int, value string) {
		file, err := yamlpatch.Parse("f.yaml", []byte(src))
		if err != nil {
			return
		}
		var scalars []*yaml.Node
		for _, d := range file.Documents() {
			scalars = collect(d, scalars)
		}
		if len(scalars) == 0 || i < 0 {
			return
		}
		n := scalars[i%len(scalars)]
		line := n.Line
		if err := file.Set(n, value); err != nil {
			return
		}
		out, err := file.Bytes()
		if err != nil {
			if failure.KindOf(err) == failure.Internal {
				// Set accepted the edit: the result must render.
				t.Fatalf("accepted edit does not render: %v\n%q", err, src)
			}
			return
		}
		again, err := yamlpatch.Parse("out.yaml", out)
		if err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, out)
		}
		var found bool
		for _, d := range again.Documents() {
			for _, s := range collect(d, nil) {
				found = found || (s.Line == line && s.Value == value)
			}
		}
		if !found {
			t.Fatalf("value %q not found on line %d of %q", value, line, out)
		}
		before, after := strings.Split(src, "\n"), strings.Split(string(out), "\n")
		if len(before) != len(after) {
			t.Fatalf("line count changed: %q -> %q", src, out)
		}
		diff := 0
		for k := range before {
			if before[k] != after[k] {
				diff++
			}
		}
		if diff > 1 {
			t.Fatalf("%d lines changed: %q -> %q", diff, src, out)
		}
	})
}

func collect(n *yaml.Node, acc []*yaml.Node) []*yaml.Node {
	if n.Kind == yaml.ScalarNode {
		return append(acc, n)
	}
	for _, c := range n.Content {
		acc = collect(c, acc)
	}
	return acc
}

// FuzzAppend adds a list item, or a key holding a list, to the i-th block
// list or mapping of arbitrary YAML. Whenever the patcher accepts the edit,
// the result must render, and it must be the input with one block of whole
// lines inserted: every input line kept, in order, byte for byte.
func FuzzAppend(f *testing.F) {
	f.Add("images:\n  - name: a # c\n    newTag: v1\n\npatches: []\n", 1, "digest", "sha256:00")
	f.Add("resources:\n- d.yaml\n---\nkind: X\n", 0, "images", "r.example/app")
	f.Add("a:\n  - {b: c,\n     d: e}\n# end", 2, "k", "v")
	f.Add("images:\r\nnamespace: dev\r\n", 0, "images", "x")
	f.Fuzz(func(t *testing.T, src string, i int, key, value string) {
		file, err := yamlpatch.Parse("f.yaml", []byte(src))
		if err != nil || i < 0 {
			return
		}
		var blocks []*yaml.Node
		for _, d := range file.Documents() {
			blocks = collectBlocks(d, blocks)
		}
		if len(blocks) == 0 {
			return
		}
		n := blocks[i%len(blocks)]
		entries := []yamlpatch.Entry{{Key: key, Value: value}, {Key: "digest", Value: "sha256:00"}}
		if n.Kind == yaml.SequenceNode {
			err = file.AppendItem(n, entries...)
		} else {
			err = file.AppendList(n, key, entries...)
		}
		if err != nil {
			return
		}
		out, err := file.Bytes()
		if err != nil {
			if failure.KindOf(err) == failure.Internal {
				t.Fatalf("accepted append does not render: %v\n%q", err, src)
			}
			return
		}
		if _, err := yamlpatch.Parse("out.yaml", out); err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, out)
		}
		if b := splitLines(src); len(b) > 0 && !endsLine(b[len(b)-1]) { // an append at the very end adds the missing line break
			src, out = src+"\n", append(out, '\n')
		}
		before, after := splitLines(src), splitLines(string(out))
		p := 0
		for p < len(before) && p < len(after) && before[p] == after[p] {
			p++
		}
		s := 0
		for s < len(before)-p && s < len(after)-p && before[len(before)-1-s] == after[len(after)-1-s] {
			s++
		}
		if p+s != len(before) || len(after) <= len(before) {
			t.Fatalf("input lines changed: %q -> %q", src, out)
		}
	})
}

// collectBlocks returns the block mappings and sequences under n.
func collectBlocks(n *yaml.Node, acc []*yaml.Node) []*yaml.Node {
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && n.Style&yaml.FlowStyle == 0 {
		acc = append(acc, n)
	}
	for _, c := range n.Content {
		acc = collectBlocks(c, acc)
	}
	return acc
}

// splitLines splits after each line break, as YAML breaks lines (CR LF,
// CR, LF, NEL, LS, PS), keeping it, so that a missing final line break
// counts as a change of the last line.
func splitLines(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		switch {
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			continue // the LF ends the line
		case r == '\n', r == '\r', r == '\u0085', r == '\u2028', r == '\u2029':
			end := i + utf8.RuneLen(r)
			out, start = append(out, s[start:end]), end
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// endsLine reports whether line ends with a line break.
func endsLine(line string) bool {
	r, _ := utf8.DecodeLastRuneInString(line)
	return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}
