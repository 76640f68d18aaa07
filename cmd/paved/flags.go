package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// platformPart is an OS, architecture or variant name.
var platformPart = regexp.MustCompile(`^[a-z0-9]+$`)

// parsePlatforms parses --platform values such as linux/amd64 or
// linux/arm/v7; a list goes in separate values (or comma-separated where a
// flag is a list), never inside one.
func parsePlatforms(ps []string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, s := range ps {
		p, err := v1.ParsePlatform(strings.TrimSpace(s))
		if err != nil || !platformPart.MatchString(p.OS) || !platformPart.MatchString(p.Architecture) ||
			(p.Variant != "" && !platformPart.MatchString(p.Variant)) || p.OSVersion != "" {
			return nil, usageError{fmt.Errorf("invalid --platform %q: want OS/ARCH[/VARIANT] such as linux/amd64", s)}
		}
		out = append(out, *p)
	}
	return out, nil
}

// atLeast refuses a flag value below low, naming the flag and the range.
func atLeast[T int | int64 | float64 | time.Duration](flag string, v, low T, hint string) error {
	if v < low {
		return usageError{fmt.Errorf("invalid %s %v: %s", flag, v, hint)}
	}
	return nil
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
