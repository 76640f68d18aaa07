package snapshot

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// cdxComponent is the part of a CycloneDX component a package set needs.
type cdxComponent struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// packages reads a CycloneDX JSON SBOM into its package set: one
// "type:name@version" per component, type being the package URL's type
// (deb, golang, npm, pypi) or else the component type.
func packages(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading SBOM %q: %w", file, err)
	}
	var bom struct {
		BOMFormat  string         `json:"bomFormat"`
		Components []cdxComponent `json:"components"`
	}
	if err := json.Unmarshal(data, &bom); err != nil {
		return nil, fmt.Errorf("decoding SBOM %q: %w", file, err)
	}
	if bom.BOMFormat != "CycloneDX" {
		return nil, fmt.Errorf("reading SBOM %q: bomFormat %q, want CycloneDX", file, bom.BOMFormat)
	}
	set := map[string]bool{}
	var walk func([]cdxComponent)
	walk = func(cs []cdxComponent) {
		for _, c := range cs {
			set[pkgType(c)+":"+c.Name+"@"+c.Version] = true
			walk(c.Components)
		}
	}
	walk(bom.Components)
	return slices.Sorted(maps.Keys(set)), nil
}

func pkgType(c cdxComponent) string {
	if rest, ok := strings.CutPrefix(c.PURL, "pkg:"); ok {
		if typ, _, ok := strings.Cut(rest, "/"); ok {
			return typ
		}
	}
	return c.Type
}
