package deploy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// LayoutManifests is plain Kubernetes manifests.
const LayoutManifests = "manifests"

// ManifestsLayout lists plain Kubernetes manifests and says which of their
// containers are the service's.
type ManifestsLayout struct {
	// Files in the service's path whose containers are edited (default:
	// every .yaml and .yml file there); "{env}" is replaced by the
	// environment name.
	Files []string `yaml:"files,omitempty"`
	// Container, when set, is the name of the service's containers: those
	// are edited, whatever image they run (an upstream manifest's, for
	// instance). Without it, the service's containers are those running
	// its image or an image paved wrote there before.
	Container string `yaml:"container,omitempty"`
}

type manifestsLayout struct{}

func init() { registerLayout(LayoutManifests, manifestsLayout{}) }

func (manifestsLayout) defaults(_ string, s *Service) error {
	for _, f := range s.Manifests.Files {
		if err := relative("manifests.files", f); err != nil {
			return err
		}
	}
	if c := s.Manifests.Container; c != "" && !dnsLabel.MatchString(c) {
		return fmt.Errorf("manifests.container %q: give a container name (lower case letters, digits and -)", c)
	}
	return nil
}

// perEnv: the directory, or every listed file, is per environment.
func (manifestsLayout) perEnv(s *Service) bool {
	if hasEnv(s.Path) {
		return true
	}
	for _, f := range s.Manifests.Files {
		if !hasEnv(f) {
			return false
		}
	}
	return len(s.Manifests.Files) > 0
}

// editsOneSlot: each slot is its own Deployment (see editManifests).
func (manifestsLayout) editsOneSlot() {}

func (manifestsLayout) edit(fsys billy.Filesystem, ch changes, t target, img Image) error {
	files, err := t.manifestFiles(fsys)
	if err != nil {
		return err
	}
	return editManifests(fsys, ch, files, t, img)
}

// manifestFiles returns the service's manifest files for the environment.
func (t target) manifestFiles(fsys billy.Filesystem) ([]string, error) {
	listed := make([]string, len(t.svc.Manifests.Files))
	for i, f := range t.svc.Manifests.Files {
		listed[i] = strings.ReplaceAll(f, "{env}", t.env)
	}
	return yamlFiles(fsys, t.dir(), listed)
}

// podKinds are the workload kinds whose pod template holds containers, with
// the path to the pod spec.
var podKinds = map[string][]string{
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
	"Pod":         {"spec"},
}

// containers calls fn with the image node of every container and init
// container of the workload doc; with deployment set, only when doc is the
// Deployment of that name.
func containers(doc *yaml.Node, deployment string, fn func(name string, image *yaml.Node)) {
	kind := yamlpatch.Lookup(doc, "kind")
	if kind == nil || podKinds[kind.Value] == nil {
		return
	}
	if deployment != "" {
		if n := yamlpatch.Lookup(doc, "metadata", "name"); kind.Value != "Deployment" || n == nil || n.Value != deployment {
			return
		}
	}
	spec := yamlpatch.Lookup(doc, podKinds[kind.Value]...)
	for _, list := range []string{"initContainers", "containers"} {
		cs := yamlpatch.Lookup(spec, list)
		if cs == nil || cs.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range cs.Content {
			if image := yamlpatch.Lookup(c, "image"); image != nil && image.Kind == yaml.ScalarNode {
				name := ""
				if n := yamlpatch.Lookup(c, "name"); n != nil {
					name = n.Value
				}
				fn(name, image)
			}
		}
	}
}

// owns reports whether the container called name running image is the
// service's: by name with manifests.container, else by its repository (an
// image that is no reference is not the service's).
func (t target) owns(container, image string) bool {
	if c := t.svc.Manifests.Container; c != "" {
		return container == c
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		return false
	}
	for _, r := range append([]string{t.svc.Image}, t.known...) {
		if sameRepository(ref.Context().Name(), r) {
			return true
		}
	}
	return false
}

// editManifests sets the image of every container of the service (see
// owns) in every workload of files; for a blue-green service only in the
// Deployment of its slot. At least one container must be found.
func editManifests(fsys billy.Filesystem, ch changes, files []string, t target, img Image) error {
	deployment := ""
	if t.svc.BlueGreen {
		deployment = t.name + "-" + t.slot
	}
	matched := 0
	var others []string
	for _, file := range files {
		f, err := parseFile(fsys, file)
		if err != nil {
			return err
		}
		old, _ := f.Bytes()
		for _, doc := range f.Documents() {
			var setErr error
			containers(doc, deployment, func(name string, image *yaml.Node) {
				if !t.owns(name, image.Value) {
					others = append(others, name+" runs "+image.Value)
					return
				}
				matched++
				if err := f.Set(image, img.Ref()); err != nil && setErr == nil {
					setErr = err
				}
			})
			if setErr != nil {
				return setErr
			}
		}
		if err := ch.record(f, old); err != nil {
			return err
		}
	}
	if matched == 0 {
		return failure.BadInputErr(fmt.Errorf("editing %s: found no %s: %s", strings.Join(files, ", "), t.wanted(deployment), t.hint(others)))
	}
	return nil
}

// wanted describes the containers looked for, for messages.
func (t target) wanted(deployment string) string {
	what := "container running " + t.svc.Image
	if c := t.svc.Manifests.Container; c != "" {
		what = "container named " + c
	}
	if deployment != "" {
		what = "Deployment " + deployment + " with a " + what
	}
	return what
}

// hint says how to point paved at the service's containers.
func (t target) hint(others []string) string {
	if len(others) == 0 {
		return "fix the layout in " + ConfigFile + " or the manifests"
	}
	sort.Strings(others)
	if len(others) > 5 {
		others = append(others[:5], "…")
	}
	return fmt.Sprintf("the containers there (%s) are not the service's: set manifests.container in %s to the name of its container, or fix image there", strings.Join(others, ", "), ConfigFile)
}
