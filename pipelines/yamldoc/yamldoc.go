// Package yamldoc decodes paved's YAML files strictly and reports every
// problem on one line with its line number: a syntax error, a missing or
// wrong apiVersion or kind, an unknown key (with the closest known one,
// "did you mean"), a key given twice, and a value of the wrong type.
//
// paved.yaml, the platform policy, .paved-ignore.yaml, the fleet file and
// campaign state all decode through Decode, so they fail the same way.
package yamldoc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Type is a kind of paved file: the apiVersion and kind its documents
// declare, and what to call it in messages.
type Type struct {
	// APIVersion and Kind must be declared at the top of the document;
	// both empty for a file without a header (.paved-ignore.yaml).
	APIVersion, Kind string
	// Noun names the file in messages ("policy file", "paved.yaml").
	Noun string
}

// Sentinels, wrapped by Decode's errors.
var (
	// ErrUnknownKey is a key the file's schema does not have.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicateKey is a key given twice in one mapping.
	ErrDuplicateKey = errors.New("given twice")
	// ErrWrongType is a value of another type than the key takes.
	ErrWrongType = errors.New("wrong type")
	// ErrWrongKind is a document of another apiVersion or kind (a
	// paved.yaml given as a policy), or one without them.
	ErrWrongKind = errors.New("wrong kind of file")
	// ErrEmpty is a file without a document.
	ErrEmpty = errors.New("empty file")
)

// knownKinds names each paved file by its kind, so a file given in the
// wrong place says what it is.
var knownKinds = map[string]string{
	"Service": "a paved.yaml", "PlatformPolicy": "a platform policy", "Fleet": "a fleet file", "Campaign": "campaign state",
}

// Decode decodes the first YAML document of data into v (a pointer to a
// struct whose yaml tags are the schema), strictly: it checks the header
// of t, then every key against v's type, then decodes. The error is one
// line starting "line N: " where the document has one, and wraps one of
// the sentinels or the YAML parser's error. A document with no content is
// ErrEmpty for a file with a header, and decodes nothing otherwise.
func Decode(data []byte, v any, t Type) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return syntax(err)
	}
	if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		if t.Kind != "" {
			return fmt.Errorf("%w: start it with apiVersion: %s and kind: %s", ErrEmpty, t.APIVersion, t.Kind)
		}
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %w: %s is a mapping of keys, not %s", root.Line, ErrWrongType, a(t.Noun), nodeKind(root))
	}
	if err := checkHeader(root, t); err != nil {
		return err
	}
	w := walker{lines: map[int]string{}, values: map[int]string{}}
	if err := w.walk(root, reflect.TypeOf(v).Elem(), ""); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return w.typeErr(err)
	}
	return nil
}

// checkHeader checks apiVersion and kind against t.
func checkHeader(root *yaml.Node, t Type) error {
	kk, kind := lookup(root, "kind")
	if t.Kind == "" {
		if kind != nil {
			return fmt.Errorf("line %d: %w: kind %s is %s, not %s", kk.Line, ErrWrongKind, kind.Value, or(knownKinds[kind.Value], "another file"), a(t.Noun))
		}
		return nil
	}
	switch {
	case kind == nil:
		return fmt.Errorf("line %d: %w: no kind: %s starts with apiVersion: %s and kind: %s", root.Line, ErrWrongKind, a(t.Noun), t.APIVersion, t.Kind)
	case kind.Value != t.Kind:
		what := or(knownKinds[kind.Value], "kind "+kind.Value)
		return fmt.Errorf("line %d: %w: kind is %q, so this is %s, not %s (kind: %s)", kk.Line, ErrWrongKind, kind.Value, what, a(t.Noun), t.Kind)
	}
	vk, ver := lookup(root, "apiVersion")
	switch {
	case ver == nil:
		return fmt.Errorf("line %d: %w: no apiVersion: set apiVersion: %s", root.Line, ErrWrongKind, t.APIVersion)
	case ver.Value != t.APIVersion:
		return fmt.Errorf("line %d: %w: apiVersion is %q: set it to %q", vk.Line, ErrWrongKind, ver.Value, t.APIVersion)
	}
	return nil
}

// syntax makes the parser's error one line (yaml: line 3: ...).
func syntax(err error) error {
	return fmt.Errorf("%w", errors.New(oneLine(err.Error())))
}

func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("the value %q", n.Value)
}

// a puts the indefinite article before noun.
func a(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
