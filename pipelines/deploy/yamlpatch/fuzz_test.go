package yamlpatch_test

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
)

// FuzzSet edits the i-th scalar of arbitrary YAML. Whenever the patcher
// accepts the edit, the result must parse, hold the new value, and differ
// from the input on at most the edited line.
func FuzzSet(f *testing.F) {
	f.Add("image:\n  repository: r # c\n  tag: \"v1\"\n", 2, "v2")
	f.Add("a: [x, 'y', \"z\"]\n---\nb: {c: d}\n", 3, "sha256:ab,c")
	f.Add("- &a x\n- *a\n- !!str 1\n", 1, "#x")
	f.Add("k: v\r\nl: w\r\n", 1, "it's")
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
