package deploy

import (
	"fmt"
	"strings"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// editHelm sets the repository, tag and digest key paths of a values file.
func editHelm(fsys billy.Filesystem, ch changes, file string, h HelmLayout, img Image) error {
	f, err := parseFile(fsys, file)
	if err != nil {
		return err
	}
	old, _ := f.Bytes()
	if len(f.Documents()) != 1 {
		return failure.BadInputErr(fmt.Errorf("editing %s: a values file has one document, found %d", file, len(f.Documents())))
	}
	doc := f.Documents()[0]
	for _, kv := range [][2]string{{h.Repository, img.Repository}, {h.Tag, img.Version}, {h.Digest, img.Digest}} {
		if kv[0] == "-" || kv[1] == "" {
			continue // "-" turns a key path off
		}
		if err := setOrInsert(f, doc, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return ch.record(f, old)
}

// editKustomize sets newName, newTag (when present) and digest of the
// kustomization's images entry called name.
func editKustomize(fsys billy.Filesystem, ch changes, file, name string, img Image) error {
	f, err := parseFile(fsys, file)
	if err != nil {
		return err
	}
	old, _ := f.Bytes()
	var entry *yaml.Node
	for _, doc := range f.Documents() {
		images := yamlpatch.Lookup(doc, "images")
		if images == nil || images.Kind != yaml.SequenceNode {
			continue
		}
		for _, e := range images.Content {
			if n := yamlpatch.Lookup(e, "name"); n != nil && n.Value == name {
				entry = e
			}
		}
	}
	if entry == nil {
		return failure.BadInputErr(fmt.Errorf("editing %s: no images entry named %q: add one (name: %s)", file, name, name))
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

// editManifests sets the image of every container (and init container) that
// runs repo, in every workload of files; with deployment set, only in the
// Deployment of that name. At least one container must match.
func editManifests(fsys billy.Filesystem, ch changes, files []string, repo, deployment string, img Image) error {
	matched := 0
	for _, file := range files {
		f, err := parseFile(fsys, file)
		if err != nil {
			return err
		}
		old, _ := f.Bytes()
		for _, doc := range f.Documents() {
			kind := yamlpatch.Lookup(doc, "kind")
			if kind == nil || podKinds[kind.Value] == nil {
				continue
			}
			if deployment != "" {
				if n := yamlpatch.Lookup(doc, "metadata", "name"); kind.Value != "Deployment" || n == nil || n.Value != deployment {
					continue
				}
			}
			spec := yamlpatch.Lookup(doc, podKinds[kind.Value]...)
			for _, list := range []string{"initContainers", "containers"} {
				cs := yamlpatch.Lookup(spec, list)
				if cs == nil || cs.Kind != yaml.SequenceNode {
					continue
				}
				for _, c := range cs.Content {
					image := yamlpatch.Lookup(c, "image")
					if image == nil || (repo != "" && repositoryOf(image.Value) != repo) {
						continue
					}
					matched++
					if err := f.Set(image, img.Ref()); err != nil {
						return err
					}
				}
			}
		}
		if err := ch.record(f, old); err != nil {
			return err
		}
	}
	if matched == 0 {
		what := "a container running " + repo
		if deployment != "" {
			what = "Deployment " + deployment + " with " + what
		}
		return failure.BadInputErr(fmt.Errorf("editing %s: found no %s: fix the layout in %s or the manifests", strings.Join(files, ", "), what, ConfigFile))
	}
	return nil
}

// repositoryOf strips the tag and digest from an image reference.
func repositoryOf(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}
