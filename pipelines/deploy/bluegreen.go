package deploy

import (
	"fmt"
	"strings"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Blue-green slots. A blue-green service has two Deployments, <svc>-blue and
// <svc>-green, and one Service <svc> whose spec.selector.version is the live
// slot.
const (
	SlotBlue  = "blue"
	SlotGreen = "green"
)

// slots is the blue-green state of one service in one environment, read from
// its manifests (the source of truth; versions.yaml only records it).
type slots struct {
	// live is the slot the Service selects.
	live string
	// images are the image references of the service's containers, by slot.
	images map[string]string
	// service is the file holding the Service, selector its version scalar.
	service  *yamlpatch.File
	selector *yaml.Node
	old      []byte
}

// idle returns the slot the Service does not select.
func (s *slots) idle() string { return otherSlot(s.live) }

// slotOf returns the slot whose Deployment runs ref, preferring the live one,
// or "".
func (s *slots) slotOf(ref string) string {
	for _, slot := range []string{s.live, s.idle()} {
		if s.images[slot] == ref {
			return slot
		}
	}
	return ""
}

// readSlots finds the Service and the two Deployments of a blue-green
// service in its manifests for t.env.
func readSlots(fsys billy.Filesystem, t target) (*slots, error) {
	files, err := t.manifestFiles(fsys)
	if err != nil {
		return nil, err
	}
	st := &slots{images: map[string]string{}}
	for _, file := range files {
		f, err := parseFile(fsys, file)
		if err != nil {
			return nil, err
		}
		for _, doc := range f.Documents() {
			if err := st.scan(f, doc, t); err != nil {
				return nil, err
			}
		}
	}
	where := strings.Join(files, ", ")
	if st.selector == nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: no Service %s with spec.selector.version blue or green: add it, blue_green in %s needs it", where, t.name, ConfigFile))
	}
	for _, slot := range []string{SlotBlue, SlotGreen} {
		if st.images[slot] == "" {
			return nil, failure.BadInputErr(fmt.Errorf("reading %s: no Deployment %s-%s with a %s: add it, blue_green in %s needs both slots", where, t.name, slot, t.wanted(""), ConfigFile))
		}
	}
	return st, nil
}

// scan records what one document says about the blue-green service.
func (st *slots) scan(f *yamlpatch.File, doc *yaml.Node, t target) error {
	kind, meta := yamlpatch.Lookup(doc, "kind"), yamlpatch.Lookup(doc, "metadata", "name")
	if kind == nil || meta == nil {
		return nil
	}
	switch {
	case kind.Value == "Service" && meta.Value == t.name:
		sel := yamlpatch.Lookup(doc, "spec", "selector", "version")
		if sel == nil || sel.Kind != yaml.ScalarNode || (sel.Value != SlotBlue && sel.Value != SlotGreen) {
			return failure.BadInputErr(fmt.Errorf("reading %s: Service %s must select version: blue or version: green", f.Name(), t.name))
		}
		if st.selector != nil {
			return failure.BadInputErr(fmt.Errorf("reading %s: Service %s is defined twice", f.Name(), t.name))
		}
		st.service, st.selector, st.live = f, sel, sel.Value
		st.old, _ = f.Bytes()
	case kind.Value == "Deployment" && (meta.Value == t.name+"-"+SlotBlue || meta.Value == t.name+"-"+SlotGreen):
		slot := strings.TrimPrefix(meta.Value, t.name+"-")
		containers(doc, meta.Value, func(name string, image *yaml.Node) {
			if st.images[slot] == "" && t.owns(name, image.Value) {
				st.images[slot] = image.Value
			}
		})
	}
	return nil
}

// flip points the Service at slot and records the edited file.
func (st *slots) flip(ch changes, slot string) error {
	if err := st.service.Set(st.selector, slot); err != nil {
		return err
	}
	return ch.record(st.service, st.old)
}

func otherSlot(s string) string {
	if s == SlotBlue {
		return SlotGreen
	}
	return SlotBlue
}
