package build

import (
	"fmt"
	"os"
	"strings"

	bkclient "github.com/moby/buildkit/client"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Cache is one BuildKit cache import or export, as in
// "type=registry,ref=REGISTRY/REPO:buildcache,mode=max" or
// "type=local,dest=DIR".
type Cache struct {
	// Type is "registry" (a cache image in a registry, for CI runners that
	// start empty) or "local" (a directory, for laptops).
	Type string
	// Attrs are the type's settings: ref and mode for registry; src (import)
	// or dest (export) and mode for local.
	Attrs map[string]string
}

// ParseCache parses a --cache-from or --cache-to value:
// type=registry,ref=REF[,mode=max] or type=local,src=DIR|dest=DIR. A bare
// REF means type=registry,ref=REF.
func ParseCache(spec string) (Cache, error) {
	c := Cache{Attrs: map[string]string{}}
	if spec != "" && !strings.Contains(spec, "=") {
		c.Type, c.Attrs["ref"] = "registry", spec
		return c, nil
	}
	for _, field := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok || k == "" || v == "" {
			return Cache{}, failure.BadInputErr(fmt.Errorf("parsing cache %q: %q is not KEY=VALUE: write type=registry,ref=REF or type=local,dest=DIR", spec, field))
		}
		if k == "type" {
			c.Type = v
			continue
		}
		c.Attrs[k] = v
	}
	switch c.Type {
	case "registry":
		if c.Attrs["ref"] == "" {
			return Cache{}, failure.BadInputErr(fmt.Errorf("parsing cache %q: type=registry needs ref=REGISTRY/REPO:TAG", spec))
		}
	case "local":
		if c.Attrs["src"] == "" && c.Attrs["dest"] == "" {
			return Cache{}, failure.BadInputErr(fmt.Errorf("parsing cache %q: type=local needs src=DIR (import) or dest=DIR (export)", spec))
		}
	default:
		return Cache{}, failure.BadInputErr(fmt.Errorf("parsing cache %q: type %q is not supported: use type=registry or type=local", spec, c.Type))
	}
	if m := c.Attrs["mode"]; m != "" && m != "min" && m != "max" {
		return Cache{}, failure.BadInputErr(fmt.Errorf("parsing cache %q: mode must be min or max", spec))
	}
	return c, nil
}

// cacheEntries converts caches into BuildKit's options.
func cacheEntries(cs []Cache) []bkclient.CacheOptionsEntry {
	var out []bkclient.CacheOptionsEntry
	for _, c := range cs {
		attrs := map[string]string{}
		for k, v := range c.Attrs {
			attrs[k] = v
		}
		out = append(out, bkclient.CacheOptionsEntry{Type: c.Type, Attrs: attrs})
	}
	return out
}

// secrets checks that every secret a RUN step mounts is given and returns
// their values by id. A secret file that cannot be read is bad input.
func (b *buildkitBuilder) secrets(plans []*bkPlan) (map[string][]byte, error) {
	values := map[string][]byte{}
	for _, s := range b.cfg.Secrets {
		if s.ID == "" {
			return nil, failure.BadInputErr(fmt.Errorf("a secret has no id: give each secret the id its RUN --mount=type=secret uses"))
		}
		v := s.Value
		if s.File != "" {
			data, err := os.ReadFile(s.File)
			if err != nil {
				return nil, failure.BadInputErr(fmt.Errorf("reading secret %q from %q: %w", s.ID, s.File, err))
			}
			v = data
		}
		values[s.ID] = v
	}
	for _, bp := range plans {
		ids := bp.secretIDs()
		for _, id := range ids {
			if _, ok := values[id]; !ok {
				return nil, lineErr(bp.file, bp.secrets[id], fmt.Errorf("RUN mounts secret %q: %w", id, &MissingSecretError{ID: id}))
			}
		}
	}
	return values, nil
}
