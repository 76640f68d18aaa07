package service

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// maxConfigSize bounds a paved.yaml; real ones are well under a KiB.
const maxConfigSize = 1 << 20

// ErrUnknownKey is wrapped by the error for a key paved.yaml does not know.
var ErrUnknownKey = errors.New("unknown key")

// Load reads and validates the paved.yaml at path. Every problem is bad
// input naming the file, and the line where there is one.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %q: %w", path, err))
	}
	return Parse(path, data)
}

// Parse decodes and validates a paved.yaml read from file (used for
// messages and to resolve relative paths). Unknown keys are errors with a
// "did you mean" suggestion.
func Parse(file string, data []byte) (*Config, error) {
	bad := func(err error) error { return failure.BadInputErr(fmt.Errorf("reading %q: %w", file, err)) }
	if len(data) > maxConfigSize {
		return nil, bad(fmt.Errorf("larger than %d bytes", maxConfigSize))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, bad(err)
	}
	if len(doc.Content) == 0 {
		return nil, bad(errors.New("empty file: start with apiVersion: " + APIVersion))
	}
	if err := checkKeys(doc.Content[0], reflect.TypeOf(Config{}), ""); err != nil {
		return nil, bad(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := &Config{}
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, bad(err)
	}
	c.File, c.Dir = file, filepath.Dir(file)
	if err := c.validate(); err != nil {
		return nil, bad(err)
	}
	return c, nil
}

// checkKeys walks node alongside t and reports the first mapping key that
// t has no field for, with its line and the closest known key.
func checkKeys(node *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && node.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				return unknownKey(k, path, fields)
			}
			if err := checkKeys(v, f.Type, join(path, k.Value)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && node.Kind == yaml.SequenceNode:
		for i, item := range node.Content {
			if err := checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func unknownKey(k *yaml.Node, path string, fields map[string]reflect.StructField) error {
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	hint := ""
	if s := closest(k.Value, names); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("line %d: %w %q %s%s", k.Line, ErrUnknownKey, k.Value, where, hint)
}

// yamlFields maps the YAML keys of struct t to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
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

// closest returns the candidate nearest to s in edit distance, if it is
// near enough to be a plausible typo (at most a third of its length, and
// at least 1 edit allowed); the comparison ignores case.
func closest(s string, candidates []string) string {
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
