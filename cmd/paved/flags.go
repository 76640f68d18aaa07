package main

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// parsePlatforms parses --platform values such as linux/amd64.
func parsePlatforms(ps []string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, s := range ps {
		p, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, usageError{fmt.Errorf("invalid --platform %q: want OS/ARCH such as linux/amd64", s)}
		}
		out = append(out, *p)
	}
	return out, nil
}

// keyValues parses repeated KEY=VALUE flag values.
func keyValues(flag string, kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("invalid %s %q: want KEY=VALUE", flag, kv)}
		}
		m[k] = v
	}
	return m, nil
}
