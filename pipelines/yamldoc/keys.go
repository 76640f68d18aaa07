package yamldoc

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// walker checks a document's keys against a Go type and remembers the key
// path of every value, by line, for the type errors of the decoder.
type walker struct {
	lines  map[int]string
	values map[int]string // scalar values by line, as written
}

// walk checks node against t: every mapping key must be a field (of a
// struct) and appear once; it recurses into fields, list items and map
// values.
func (w walker) walk(node *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	switch {
	case node.Kind == yaml.MappingNode && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		return w.mapping(node, t, path)
	case node.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i, item := range node.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			w.lines[item.Line] = p
			if err := w.walk(item, t.Elem(), p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w walker) mapping(node *yaml.Node, t reflect.Type, path string) error {
	var fields map[string]reflect.StructField
	if t.Kind() == reflect.Struct {
		fields = Fields(t)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if k.Tag == "!!merge" {
			continue
		}
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("line %d: key %q %s %w (first on line %d): keep one", k.Line, k.Value, where(path), ErrDuplicateKey, line)
		}
		seen[k.Value] = k.Line
		et := t
		if fields != nil {
			f, ok := fields[k.Value]
			if !ok {
				return unknownKey(k, path, fields)
			}
			et = f.Type
		} else {
			et = t.Elem()
		}
		p := join(path, k.Value)
		w.lines[v.Line] = p
		if v.Kind == yaml.ScalarNode {
			w.values[v.Line] = v.Value
		}
		if err := w.walk(v, et, p); err != nil {
			return err
		}
	}
	return nil
}

// unmarshalErr matches one of the decoder's type errors.
var unmarshalErr = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

// typeErr turns the decoder's first type error into one line naming the
// key, what it takes and what it got.
func (w walker) typeErr(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) || len(te.Errors) == 0 {
		return syntax(err)
	}
	m := unmarshalErr.FindStringSubmatch(te.Errors[0])
	if m == nil {
		return fmt.Errorf("%w: %s", ErrWrongType, oneLine(te.Errors[0]))
	}
	var line int
	fmt.Sscan(m[1], &line)
	key := w.lines[line]
	if key == "" {
		key = "the value"
	}
	got := "a " + yamlTag(m[2])
	if v, ok := w.values[line]; ok {
		// The decoder shortens long values.
		got = fmt.Sprintf("the %s %q", yamlTag(m[2]), v)
	} else if m[3] != "" {
		got = fmt.Sprintf("the %s %q", yamlTag(m[2]), m[3])
	}
	return fmt.Errorf("line %s: %w: %s takes %s, not %s", m[1], ErrWrongType, key, goType(m[4]), got)
}

// goType says in words what a Go type of the decoder's message takes.
func goType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	case strings.Contains(t, "."):
		return "a mapping"
	}
	return t
}

func yamlTag(tag string) string {
	switch tag {
	case "str":
		return "string"
	case "seq":
		return "list"
	case "map":
		return "mapping"
	case "int", "float":
		return "number"
	case "bool":
		return "boolean"
	}
	return tag
}

func unknownKey(k *yaml.Node, path string, fields map[string]reflect.StructField) error {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	hint := ""
	if s := Closest(k.Value, names); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("line %d: %w %q %s%s", k.Line, ErrUnknownKey, k.Value, where(path), hint)
}

func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

// Fields maps the YAML keys of struct t to its fields, as the decoder
// reads them (the yaml tag's name, else the lower-cased field name).
func Fields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// Closest returns the candidate nearest to s in edit distance, if it is
// near enough to be a plausible typo (at most a third of its length, and
// at least 1 edit allowed); the comparison ignores case.
func Closest(s string, candidates []string) string {
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > max(1, (len(s)+2)/3) {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b (insertions, deletions,
// substitutions), on bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
