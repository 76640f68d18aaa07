package deploy

import (
	"errors"
	"strings"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
)

// LayoutHelm is a Helm chart's values file.
const LayoutHelm = "helm"

// Off, as a HelmLayout key path, leaves that value alone. An explicit empty
// path ("") in paved-gitops.yaml means the same.
const Off = "-"

// HelmLayout names the values file and the dotted key paths paved sets.
type HelmLayout struct {
	// File is the values file in the service's path (default values.yaml);
	// "{env}" is replaced by the environment name.
	File string `yaml:"file,omitempty"`
	// Repository is the key path of the image repository (default
	// image.repository); it receives the service's image.
	Repository string `yaml:"repository,omitempty"`
	// Tag is the key path of the tag (default image.tag). It receives the
	// version when the digest has a key of its own, else VERSION@DIGEST, so
	// that a chart rendering {{ repository }}:{{ tag }} runs the digest.
	Tag string `yaml:"tag,omitempty"`
	// Digest is the key path of the digest (default image.digest). It is
	// written when the values file has the key (an empty value counts) or
	// the path is given explicitly (paved then adds the key); otherwise the
	// digest goes into the tag. Off keeps the digest in the tag.
	Digest string `yaml:"digest,omitempty"`

	// digestGiven records that Digest was set in paved-gitops.yaml rather
	// than defaulted.
	digestGiven bool
}

type helmLayout struct{}

func init() { registerLayout(LayoutHelm, helmLayout{}) }

func (helmLayout) defaults(_ string, s *Service) error {
	h := &s.Helm
	h.digestGiven = h.Digest != "" || h.Tag == Off // with no tag, the digest needs its key
	h.File = or(h.File, "values.yaml")
	h.Repository = or(h.Repository, "image.repository")
	h.Tag = or(h.Tag, "image.tag")
	h.Digest = or(h.Digest, "image.digest")
	if err := relative("helm.file", h.File); err != nil {
		return err
	}
	if h.Tag == Off && h.Digest == Off {
		return errors.New("helm: tag and digest are both off (-): nothing would pin the image's digest: give one of them a key path")
	}
	for _, p := range []string{h.Repository, h.Tag, h.Digest} {
		if p != Off && (strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..")) {
			return errors.New("helm: key path " + p + ": give dotted keys such as image.tag, or - for none")
		}
	}
	return nil
}

func (helmLayout) perEnv(s *Service) bool { return hasEnv(s.Path, s.Helm.File) }

// edit sets the repository, then the digest and the version, or the
// version@digest in the tag when the chart has no digest value.
func (helmLayout) edit(fsys billy.Filesystem, ch changes, t target, img Image) error {
	h := t.svc.Helm
	f, err := parseFile(fsys, t.file(h.File))
	if err != nil {
		return err
	}
	old, _ := f.Bytes()
	doc, err := oneDocument(f, "values file")
	if err != nil {
		return err
	}
	values := [][2]string{{h.Repository, img.Repository}, {h.Tag, img.Version + "@" + img.Digest}}
	if h.hasDigest(doc) {
		values = [][2]string{{h.Repository, img.Repository}, {h.Tag, img.Version}, {h.Digest, img.Digest}}
	}
	for _, kv := range values {
		if kv[0] == Off {
			continue
		}
		if err := setOrInsert(f, doc, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return ch.record(f, old)
}

// spelling turns the key paths written as "" in the service's helm
// settings into Off: an empty path leaves that value alone, as "-" does,
// rather than meaning the default.
func (helmLayout) spelling(service *yaml.Node, s *Service) {
	h := &s.Helm
	for key, p := range map[string]*string{"repository": &h.Repository, "tag": &h.Tag, "digest": &h.Digest} {
		if n := yamlpatch.Lookup(service, "helm", key); n != nil && n.Kind == yaml.ScalarNode && n.Value == "" && n.Tag == "!!str" {
			*p = Off
		}
	}
}

// hasDigest reports whether the digest goes to a key of its own.
func (h HelmLayout) hasDigest(doc *yaml.Node) bool {
	if h.Digest == Off {
		return false
	}
	return h.digestGiven || yamlpatch.Lookup(doc, yamlpatch.SplitPath(h.Digest)...) != nil
}
