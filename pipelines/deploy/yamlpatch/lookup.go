package yamlpatch

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Lookup follows path (mapping keys) from n, which may be a document node,
// and returns the value node found there, or nil when a key is missing or a
// step is not a mapping. Aliases are followed.
func Lookup(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		n = MappingValue(n, key)
		if n == nil {
			return nil
		}
	}
	return deref(n)
}

// MappingValue returns the value under key in the mapping n (a document node
// is looked through), or nil.
func MappingValue(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = deref(n.Content[0])
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// SplitPath splits a dotted key path such as "image.repository".
func SplitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
