package deploy

import (
	"errors"
	"fmt"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// LayoutKustomize is a kustomization's images entry.
const LayoutKustomize = "kustomize"

// KustomizeLayout names the kustomization file and its images entry.
type KustomizeLayout struct {
	// File is the kustomization in the service's path (default
	// kustomization.yaml); "{env}" is replaced by the environment name.
	File string `yaml:"file,omitempty"`
	// Name is the images[].name entry to edit: the image as the
	// kustomization's resources write it (default: the service's image).
	// When there is no such entry, paved adds it with newName and digest.
	Name string `yaml:"name,omitempty"`
}

type kustomizeLayout struct{}

func init() { registerLayout(LayoutKustomize, kustomizeLayout{}) }

func (kustomizeLayout) defaults(_ string, s *Service) error {
	s.Kustomize.File = or(s.Kustomize.File, "kustomization.yaml")
	s.Kustomize.Name = or(s.Kustomize.Name, s.Image)
	if s.Kustomize.Name == "" {
		return errors.New("kustomize layout needs image (or kustomize.name) to find its images entry")
	}
	return relative("kustomize.file", s.Kustomize.File)
}

func (kustomizeLayout) perEnv(s *Service) bool { return hasEnv(s.Path, s.Kustomize.File) }

// edit sets newName (when present or needed), newTag (when present) and
// digest of the images entry, adding the entry, or the images list, when
// the kustomization has none.
func (kustomizeLayout) edit(fsys billy.Filesystem, ch changes, t target, img Image) error {
	name := t.svc.Kustomize.Name
	f, err := parseFile(fsys, t.file(t.svc.Kustomize.File))
	if err != nil {
		return err
	}
	old, _ := f.Bytes()
	doc, err := oneDocument(f, "kustomization")
	if err != nil {
		return err
	}
	images := yamlpatch.Lookup(doc, "images")
	entry := imagesEntry(images, name)
	if entry == nil {
		if err := addImagesEntry(f, doc, images, name, img); err != nil {
			return err
		}
		return ch.record(f, old)
	}
	if n := yamlpatch.Lookup(entry, "newName"); n != nil || img.Repository != name {
		if err := setOrInsert(f, entry, "newName", img.Repository); err != nil {
			return err
		}
	}
	if n := yamlpatch.Lookup(entry, "newTag"); n != nil && img.Version != "" {
		if err := f.Set(n, img.Version); err != nil {
			return err
		}
	}
	if err := setOrInsert(f, entry, "digest", img.Digest); err != nil {
		return err
	}
	return ch.record(f, old)
}

// imagesEntry returns the entry of the images list called name, or nil.
func imagesEntry(images *yaml.Node, name string) *yaml.Node {
	if images == nil || images.Kind != yaml.SequenceNode {
		return nil
	}
	for _, e := range images.Content {
		if n := yamlpatch.Lookup(e, "name"); n != nil && n.Value == name {
			return e
		}
	}
	return nil
}

// addImagesEntry adds {name, newName, digest} to the images list, creating
// the list when the kustomization has none.
func addImagesEntry(f *yamlpatch.File, doc, images *yaml.Node, name string, img Image) error {
	entries := []yamlpatch.Entry{{Key: "name", Value: name}}
	if img.Repository != name {
		entries = append(entries, yamlpatch.Entry{Key: "newName", Value: img.Repository})
	}
	entries = append(entries, yamlpatch.Entry{Key: "digest", Value: img.Digest})
	if images != nil && images.Kind == yaml.SequenceNode && images.Style&yaml.FlowStyle == 0 {
		return f.AppendItem(images, entries...)
	}
	top := doc
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return failure.BadInputErr(fmt.Errorf("editing %s: not a kustomization (a mapping of kustomize keys)", f.Name()))
	}
	return f.AppendList(top, "images", entries...)
}
