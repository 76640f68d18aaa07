package policy

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrAlreadyDenied is wrapped by AddDenial's error when the policy already
// denies the image.
var ErrAlreadyDenied = errors.New("image is already denied")

// AddDenial returns the policy document data with d appended to
// bases.denied, creating denied (and bases) when absent. Every other byte,
// comment and the document's indentation style are kept: a block list gets
// a block item indented like its siblings, a flow list ([...]) a flow item.
//
// d needs an image, a reason and a from date (YYYY-MM-DD); a replacement, if
// any, must be an image reference. Invalid input, a policy that does not
// parse, and a construct the edit does not handle (an alias, a merge key or
// an explicit tag on bases or denied) are bad input; an image the policy
// already denies is bad input wrapping ErrAlreadyDenied. The result always
// parses: it is checked before it is returned.
func AddDenial(data []byte, d Denial) ([]byte, error) {
	d, err := validDenial(d)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("denying %q: %w", d.Image, err))
	}
	old, err := Parse(data)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading policy to deny %q: %w", d.Image, err))
	}
	for _, den := range old.Bases.Denied {
		if sameImage(den.Image, d.Image) {
			return nil, failure.BadInputErr(fmt.Errorf("denying %q: %w (from %s: %s)", d.Image, ErrAlreadyDenied, den.From, den.Reason))
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading policy to deny %q: %w", d.Image, err))
	}
	e := newEditor(data, &doc)
	out, err := e.addDenial(doc.Content[0], d)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("denying %q: %w: add the denial by hand", d.Image, err))
	}
	if err := sameButDenial(old, out, d); err != nil {
		return nil, failure.InternalErr(fmt.Errorf("denying %q: the edited policy is wrong (a paved bug): %w", d.Image, err))
	}
	return out, nil
}

func validDenial(d Denial) (Denial, error) {
	d = Denial{Image: strings.TrimSpace(d.Image), Reason: strings.TrimSpace(d.Reason), From: strings.TrimSpace(d.From), Replacement: strings.TrimSpace(d.Replacement)}
	switch {
	case d.Image == "":
		return d, errors.New("the image is empty: name a tag or digest such as registry.example/platform/python-base:1.0")
	case d.Reason == "":
		return d, errors.New("the reason is empty: say why, e.g. the CVE")
	case !utf8.ValidString(d.Image + d.Reason + d.Replacement):
		return d, errors.New("the denial is not valid UTF-8")
	}
	if _, err := time.Parse(time.DateOnly, d.From); err != nil {
		return d, fmt.Errorf("from %q is not a date: write it as YYYY-MM-DD", d.From)
	}
	if d.Replacement != "" {
		if _, err := name.ParseReference(d.Replacement); err != nil {
			return d, fmt.Errorf("replacement %q is not an image reference: %w", d.Replacement, err)
		}
	}
	return d, nil
}

// sameImage compares two denied images as written, and as references when
// both parse ("python-base:1" and "index.docker.io/library/python-base:1").
func sameImage(a, b string) bool {
	a = strings.TrimSpace(a)
	if a == b {
		return true
	}
	ra, errA := name.ParseReference(a)
	rb, errB := name.ParseReference(b)
	return errA == nil && errB == nil && ra.Name() == rb.Name()
}

// sameButDenial checks that out parses to old plus d.
func sameButDenial(old *Policy, out []byte, d Denial) error {
	p, err := Parse(out)
	if err != nil {
		return err
	}
	want := *old
	want.Bases.Denied = append(append([]Denial(nil), old.Bases.Denied...), d)
	if !reflect.DeepEqual(normal(&want), normal(p)) {
		return fmt.Errorf("it parses to %+v, want %+v", p, want)
	}
	return nil
}

// normal makes empty and nil lists compare equal, and ignores white space
// around denials' fields: a block scalar that ends a file without a final
// newline gains one when the edit appends after it.
func normal(p *Policy) Policy {
	n := *p
	n.Bases.Denied = append([]Denial(nil), n.Bases.Denied...)
	for i, d := range n.Bases.Denied {
		n.Bases.Denied[i] = Denial{Image: strings.TrimSpace(d.Image), Reason: strings.TrimSpace(d.Reason), From: strings.TrimSpace(d.From), Replacement: strings.TrimSpace(d.Replacement)}
	}
	if len(n.Bases.Allowed) == 0 {
		n.Bases.Allowed = nil
	}
	if len(n.Bases.Denied) == 0 {
		n.Bases.Denied = nil
	}
	if len(n.Paved.Deprecations) == 0 {
		n.Paved.Deprecations = nil
	}
	return n
}

func (e *editor) addDenial(root *yaml.Node, d Denial) ([]byte, error) {
	bk, bases := lookup(root, "bases")
	if hasMergeKey(root) || (bases != nil && hasMergeKey(bases)) {
		return nil, errors.New("the policy uses a merge key (<<)")
	}
	if bases == nil {
		return e.addEntry(root, "bases", e.basesText(d, root), flowBasesText(d))
	}
	if err := plain(bases); err != nil {
		return nil, fmt.Errorf("bases %w", err)
	}
	if bases.Kind == yaml.ScalarNode {
		return e.fillNull(bk, bases, e.deniedText(d, bk.Column-1+e.unit))
	}
	dk, denied := lookup(bases, "denied")
	if denied == nil {
		if len(bases.Content) == 0 {
			// An empty mapping is written {}: a flow one.
			return e.flowAppend(bases, flowDeniedText(d))
		}
		return e.addEntry(bases, "denied", e.deniedText(d, bases.Content[0].Column-1), flowDeniedText(d))
	}
	if err := plain(denied); err != nil {
		return nil, fmt.Errorf("bases.denied %w", err)
	}
	if denied.Kind == yaml.ScalarNode {
		return e.fillNull(dk, denied, e.itemsText(d, dk.Column-1+e.seqInd))
	}
	return e.addItem(dk, denied, d)
}

func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func hasMergeKey(m *yaml.Node) bool {
	if m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Tag == "!!merge" {
			return true
		}
	}
	return false
}

// plain refuses a node the edit cannot extend in place.
func plain(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.AliasNode:
		return errors.New("is an alias")
	case n.Anchor != "":
		return errors.New("has an anchor")
	case n.Style&yaml.TaggedStyle != 0:
		return errors.New("has an explicit tag")
	}
	return nil
}

// addEntry adds key to mapping m: block text after m's last line, or flow
// text before the closing brace of a flow mapping.
func (e *editor) addEntry(m *yaml.Node, key, block, flow string) ([]byte, error) {
	if m.Style&yaml.FlowStyle != 0 {
		return e.flowAppend(m, flow)
	}
	col := m.Content[0].Column - 1
	last := e.blockEnd(e.lineOf(e.offset(m.Content[0])), m, func(indent int, _ string) bool { return indent >= col })
	return e.insertAfterLine(last, block), nil
}

// addItem appends d to the list denied (the value of key dk).
func (e *editor) addItem(dk, denied *yaml.Node, d Denial) ([]byte, error) {
	if denied.Style&yaml.FlowStyle != 0 {
		return e.flowAppend(denied, flowItem(d))
	}
	keyCol, dash := dk.Column-1, denied.Column-1
	first := denied.Content[0]
	var text string
	switch {
	case first.Kind == yaml.MappingNode && first.Style&yaml.FlowStyle != 0:
		text = spaces(dash) + "- " + flowItem(d) + e.nl
	case first.Kind == yaml.MappingNode && len(first.Content) > 0 && first.Line == denied.Line:
		text = e.blockItem(d, dash, first.Content[0].Column-1)
	default:
		text = e.blockItem(d, dash, dash+2)
	}
	last := e.blockEnd(e.lineOf(e.offset(dk)), denied, func(indent int, s string) bool {
		return indent > keyCol || (indent == keyCol && (s == "-" || strings.HasPrefix(s, "- ")))
	})
	return e.insertAfterLine(last, text), nil
}

// fillNull gives the empty or null value v of key k the block text.
func (e *editor) fillNull(k, v *yaml.Node, block string) ([]byte, error) {
	line := e.lineOf(e.offset(k))
	if v.Line != k.Line && v.Value != "" {
		return nil, errors.New("has its value on another line")
	}
	at := e.lineEnd(line)
	if v.Value == "" {
		if !e.keyOnly(k) {
			return nil, errors.New("has an empty value that is not on its key's line")
		}
		return e.insert(e.data, at, block), nil
	}
	start := e.offset(v)
	if !strings.HasPrefix(string(e.data[start:]), v.Value) {
		return nil, fmt.Errorf("has a value %q where it was not expected", v.Value)
	}
	data := append(append([]byte(nil), e.data[:start]...), e.data[start+len(v.Value):]...)
	return e.insert(data, at-len(v.Value), block), nil
}

// keyOnly reports whether key k's line holds nothing after "k:" but a
// comment.
func (e *editor) keyOnly(k *yaml.Node) bool {
	line := e.lineOf(e.offset(k))
	rest := strings.TrimSpace(strings.TrimPrefix(e.lineText(line)[e.offset(k)-e.lines[line]:], k.Value))
	rest = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
	return rest == "" || strings.HasPrefix(rest, "#")
}
