package yamlpatch

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// render writes value as a scalar of the given style: plain when it reads
// back as the same string, double-quoted otherwise.
func render(style yaml.Style, value string, inFlow bool) (string, error) {
	if strings.ContainsAny(value, "\r\n") {
		return "", fmt.Errorf("value %q spans several lines: give a one-line value", value)
	}
	if !utf8.ValidString(value) {
		return "", fmt.Errorf("value %q is not UTF-8: give a UTF-8 value", value)
	}
	printable := strings.IndexFunc(value, needsEscape) < 0
	switch {
	case style&yaml.SingleQuotedStyle != 0 && printable:
		return "'" + strings.ReplaceAll(value, "'", "''") + "'", nil
	case style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 && printable && plainSafe(value, inFlow):
		return value, nil
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range value {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x100 && needsEscape(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case needsEscape(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// renderKey writes a mapping key as render does a value; a key of more
// than 1024 characters once written cannot be a YAML implicit key.
func renderKey(key string) (string, error) {
	k, err := render(0, key, false)
	if err == nil && utf8.RuneCountInString(k) > 1024 {
		err = fmt.Errorf("key of %d characters: YAML keys written without ? are at most 1024", utf8.RuneCountInString(k))
	}
	return k, err
}

// needsEscape reports whether r must be escaped in a one-line YAML scalar:
// it is not printable in YAML (C0 and C1 controls, DEL, U+FFFE, U+FFFF) or
// it breaks the line (NEL, LS, PS). A tab stays as it is.
func needsEscape(r rune) bool {
	switch {
	case r == '\t':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029, r == 0xfeff, r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// plainSafe reports whether value, written plain, reads back as that string.
func plainSafe(value string, inFlow bool) bool {
	if value == "" || strings.ContainsAny(value, "\t\uFEFF\u0085\u2028\u2029") || (inFlow && strings.ContainsAny(value, ",[]{}")) {
		return false
	}
	// The value must read back the same as a mapping value and key, a list item
	// and a whole document (where "--" or "..." might start a marker), and
	// in a flow collection as an item, a value and a key.
	probes := []probe{{"k: %s\n", 1, 2}, {"%s: k\n", 0, 2}, {"- %s\n", 0, 1}, {"%s\n", 0, 1}}
	if inFlow {
		probes = append(probes, probe{"[%s]", 0, 1}, probe{"{k: %s}", 1, 2}, probe{"{%s: k}", 0, 2}, probe{"{%s}", 0, 2})
	}
	for _, p := range probes {
		if !p.readsBack(value) {
			return false
		}
	}
	return true
}

// probe is a document with value in it, where value must be the at-th of
// its scalars, of which there must be count.
type probe struct {
	doc       string
	at, count int
}

func (p probe) readsBack(value string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(fmt.Sprintf(p.doc, value)), &n); err != nil {
		return false
	}
	var scalars []*yaml.Node
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			scalars = append(scalars, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&n)
	if len(scalars) != p.count {
		return false
	}
	v := scalars[p.at]
	return v.Style == 0 && v.Tag == "!!str" && v.Value == value
}
