package deploy

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"
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

// imageOf splits a digest reference into an Image, keeping the repository
// as the user wrote it.
func imageOf(d name.Digest, version string) Image {
	repo := d.String()[:strings.LastIndex(d.String(), "@")]
	return Image{Repository: repo, Digest: d.DigestStr(), Version: version}
}

// fileChange is one file's contents before and after an edit.
type fileChange struct {
	Path     string
	Old, New []byte
}

// changes collects edited files by path, in a stable order.
type changes map[string]*fileChange

func (c changes) sorted() []*fileChange {
	out := make([]*fileChange, 0, len(c))
	for _, f := range c {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// parseFile reads and parses a YAML file of the repository.
func parseFile(fsys billy.Filesystem, p string) (*yamlpatch.File, error) {
	data, err := readFile(fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: no such file: the layout in %s does not match the repository", p, ConfigFile))
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return yamlpatch.Parse(p, data)
}

// record adds a patched file to the change set.
func (c changes) record(f *yamlpatch.File, old []byte) error {
	out, err := f.Bytes()
	if err != nil {
		return err
	}
	if string(out) != string(old) {
		c[f.Name()] = &fileChange{Path: f.Name(), Old: old, New: out}
	}
	return nil
}

// editImage points the service's manifests for env at img. For blue-green
// services, slot names the Deployment (<svc>-<slot>) to edit.
func editImage(fsys billy.Filesystem, svcName string, s *Service, env string, img Image, slot string) (changes, error) {
	dir := s.Dir(env)
	ch := changes{}
	switch s.Layout {
	case LayoutHelm:
		return ch, editHelm(fsys, ch, path.Join(dir, strings.ReplaceAll(s.Helm.File, "{env}", env)), s.Helm, img)
	case LayoutKustomize:
		return ch, editKustomize(fsys, ch, path.Join(dir, s.Kustomize.File), s.Kustomize.Name, img)
	default:
		files, err := manifestFiles(fsys, dir, s.Manifests.Files)
		if err != nil {
			return nil, err
		}
		deployment := ""
		if s.BlueGreen {
			deployment = svcName + "-" + slot
		}
		repo := s.Image
		if repo == "" {
			repo = img.Repository
		}
		return ch, editManifests(fsys, ch, files, repo, deployment, img)
	}
}

func readFile(fsys billy.Filesystem, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// writeFile replaces the contents of p, keeping its mode when it exists.
func writeFile(fsys billy.Filesystem, p string, data []byte) error {
	if err := fsys.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := fsys.Create(p)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// manifestFiles returns the listed files in dir, or every YAML file there.
func manifestFiles(fsys billy.Filesystem, dir string, listed []string) ([]string, error) {
	if len(listed) > 0 {
		out := make([]string, len(listed))
		for i, f := range listed {
			out[i] = path.Join(dir, f)
		}
		return out, nil
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading directory %s: %w: the layout in %s does not match the repository", dir, err, ConfigFile))
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
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
