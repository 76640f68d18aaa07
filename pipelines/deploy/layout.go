package deploy

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Image is what a service's manifests are pointed at.
type Image struct {
	// Repository is REGISTRY/NAME, without tag or digest.
	Repository string
	// Digest is sha256:<hex>.
	Digest string
	// Version is the human version recorded next to the digest; it is
	// written where a layout has a tag field.
	Version string
}

// Ref returns REPOSITORY@DIGEST.
func (i Image) Ref() string { return i.Repository + "@" + i.Digest }

// A layout is one way a GitOps repository holds a service's manifests (Helm
// values, a Kustomize images entry, plain Kubernetes manifests). Each lives
// in its own file, layout_<name>.go, and registers itself by name with one
// registerLayout line: the service's layout key in paved-gitops.yaml. Nothing
// else in the package names a layout; a new one is a file and that line.
type layout interface {
	// defaults fills in the defaults of the service's settings for this
	// layout and checks them.
	defaults(name string, s *Service) error
	// perEnv reports whether the files the layout edits differ per
	// environment ({env} in their paths), so that a bump of one
	// environment changes nothing another one deploys from.
	perEnv(s *Service) bool
	// edit points the files of t at img and adds them to ch.
	edit(fsys billy.Filesystem, ch changes, t target, img Image) error
}

// spelled is a layout some of whose settings mean something else written
// as "" than left out: it reads them from the service's mapping in
// paved-gitops.yaml before defaults runs.
type spelled interface {
	layout
	spelling(service *yaml.Node, s *Service)
}

// slotted is a layout that edits the Deployment of one blue-green slot
// (<name>-blue or <name>-green) alone, so that it can serve blue_green.
type slotted interface {
	layout
	editsOneSlot()
}

var layouts = map[string]layout{}

// registerLayout makes a layout available under its paved-gitops.yaml name.
func registerLayout(name string, l layout) { layouts[name] = l }

// layoutOf returns the service's layout, or a bad-input error naming the
// known ones.
func layoutOf(s *Service) (layout, error) {
	if l, ok := layouts[s.Layout]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("layout %q: use %s", s.Layout, strings.Join(layoutNames(func(layout) bool { return true }), ", "))
}

// layoutNames returns the names of the layouts that match, sorted.
func layoutNames(match func(layout) bool) []string {
	var names []string
	for n, l := range layouts {
		if match(l) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// target is what one edit points at an image: a service in an environment.
type target struct {
	name string // the service's name in paved-gitops.yaml
	svc  *Service
	env  string
	// slot, for a blue-green service, is the slot whose Deployment
	// (<name>-<slot>) is edited.
	slot string
	// known are the repositories paved wrote for the service in this
	// environment before (versions.yaml): containers running them are the
	// service's, as are those running its image.
	known []string
}

// dir returns the service's directory in the environment.
func (t target) dir() string { return t.svc.Dir(t.env) }

// file returns a file of the service's directory, "{env}" replaced.
func (t target) file(name string) string {
	return path.Join(t.dir(), strings.ReplaceAll(name, "{env}", t.env))
}

// editImage points the service's manifests for t.env at img.
func editImage(fsys billy.Filesystem, t target, img Image) (changes, error) {
	l, err := layoutOf(t.svc)
	if err != nil {
		return nil, failure.BadInputErr(err)
	}
	ch := changes{}
	return ch, l.edit(fsys, ch, t, img)
}

// hasEnv reports whether any of the paths holds "{env}".
func hasEnv(paths ...string) bool {
	for _, p := range paths {
		if strings.Contains(p, "{env}") {
			return true
		}
	}
	return false
}

// setOrInsert sets the scalar at the dotted key path, adding the last key to
// its parent mapping when only the last key is missing.
func setOrInsert(f *yamlpatch.File, doc *yaml.Node, dotted, value string) error {
	keys := yamlpatch.SplitPath(dotted)
	if n := yamlpatch.Lookup(doc, keys...); n != nil {
		return f.Set(n, value)
	}
	parent := yamlpatch.Lookup(doc, keys[:len(keys)-1]...)
	if parent == nil || parent.Kind != yaml.MappingNode {
		return failure.BadInputErr(fmt.Errorf("editing %s: key %s is missing: add it, or fix the key path in %s", f.Name(), dotted, ConfigFile))
	}
	return f.Insert(parent, keys[len(keys)-1], value)
}

// oneDocument returns the only document of a file that must have one.
func oneDocument(f *yamlpatch.File, what string) (*yaml.Node, error) {
	if len(f.Documents()) != 1 {
		return nil, failure.BadInputErr(fmt.Errorf("editing %s: a %s has one document, found %d", f.Name(), what, len(f.Documents())))
	}
	return f.Documents()[0], nil
}
