package build

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// bkImage is an image a BuildKit build pulls: a FROM base, a COPY --from
// image or a RUN --mount from= image, as the Dockerfile names it after ARG
// substitution.
type bkImage struct {
	ref string
	loc []parser.Range
}

// bkPlan is what paved checks before handing a Dockerfile to BuildKit: the
// images to resolve and pin, and the secrets the RUN steps mount.
type bkPlan struct {
	file    string
	images  []bkImage // in Dockerfile order, deduplicated
	secrets map[string][]parser.Range
	stages  map[string]bool // stage names, lower case
	// finalBase is the image the target's FROM chain starts at; "" for
	// scratch.
	finalBase string
}

// predefinedArgs are the ARGs BuildKit sets itself or that proxies and
// reproducibility use; they need no --build-arg.
var predefinedArgs = map[string]bool{
	"HTTP_PROXY": true, "HTTPS_PROXY": true, "FTP_PROXY": true, "NO_PROXY": true, "ALL_PROXY": true,
	"http_proxy": true, "https_proxy": true, "ftp_proxy": true, "no_proxy": true, "all_proxy": true,
	"BUILDPLATFORM": true, "BUILDOS": true, "BUILDARCH": true, "BUILDVARIANT": true,
	"TARGETPLATFORM": true, "TARGETOS": true, "TARGETARCH": true, "TARGETVARIANT": true, "TARGETSTAGE": true,
	"SOURCE_DATE_EPOCH": true,
}

// planBuildKit parses a Dockerfile for platform p the way the daemonless
// builder does (same ARG expansion, same stage graph) but allows RUN, and
// lists what the target needs: images, secrets. An ARG without a default
// that no --build-arg sets is refused, as is a stage named like an image it
// would shadow.
func planBuildKit(file string, data []byte, p v1.Platform, o *Options) (*bkPlan, error) {
	pl, err := planStages(file, data, p, o, func(loc []parser.Range, key string, hasDefault bool) error {
		return checkArg(file, loc, key, hasDefault, o.BuildArgs)
	})
	if err != nil {
		return nil, err
	}
	return bkPlanOf(pl, o)
}

// checkArg refuses an ARG that has no default and no --build-arg: BuildKit
// would silently substitute the empty string.
func checkArg(file string, loc []parser.Range, key string, hasDefault bool, args map[string]string) error {
	if _, ok := args[key]; ok || hasDefault || predefinedArgs[key] || strings.HasPrefix(key, "BUILDKIT_") {
		return nil
	}
	return lineErr(file, loc, fmt.Errorf("ARG %s has no default and %w: write ARG %s=DEFAULT", key, ErrNoBuildArg, key))
}

// bkPlanOf walks the stages the target needs.
func bkPlanOf(pl *plan, o *Options) (*bkPlan, error) {
	bp := &bkPlan{file: pl.file, secrets: map[string][]parser.Range{}, stages: map[string]bool{}}
	root := pl.target
	for root.parent != nil {
		root = root.parent
	}
	if !isScratch(root.base) {
		bp.finalBase = root.base
	}
	seen := map[string]bool{}
	add := func(ref string, loc []parser.Range) {
		if !isScratch(ref) && !seen[ref] {
			seen[ref] = true
			bp.images = append(bp.images, bkImage{ref: ref, loc: loc})
		}
	}
	for _, sp := range pl.stages {
		if sp.stage.Name != "" {
			bp.stages[strings.ToLower(sp.stage.Name)] = true
		}
		if !sp.reachable {
			continue
		}
		if sp.parent == nil {
			add(sp.base, sp.stage.Location)
		}
		for _, cmd := range sp.stage.Commands {
			switch c := cmd.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if err := checkArg(pl.file, c.Location(), kv.Key, kv.Value != nil, o.BuildArgs); err != nil {
						return nil, err
					}
				}
			case *instructions.CopyCommand:
				if c.From == "" {
					continue
				}
				if dep, ref, err := pl.copyFrom(sp, c); dep == nil && err == nil {
					add(ref, c.Location())
				}
			case *instructions.RunCommand:
				if err := bp.addMounts(pl, c, add); err != nil {
					return nil, err
				}
			}
		}
	}
	return bp, bp.checkShadowing()
}

// addMounts records RUN --mount=type=secret ids and --mount from= images.
// Mount options are expanded with the global ARGs; an ARG of the stage that
// only the stage sets expands to "" here, as it does for the daemonless
// builder's FROM.
func (bp *bkPlan) addMounts(pl *plan, c *instructions.RunCommand, add func(string, []parser.Range)) error {
	env := mapEnv(pl.globals)
	err := c.Expand(func(word string) (string, error) { return pl.expand(word, env) })
	if err != nil {
		return lineErr(pl.file, c.Location(), err)
	}
	for _, m := range instructions.GetMounts(c) {
		if m.Type == instructions.MountTypeSecret {
			if id := secretID(m); id != "" {
				bp.secrets[id] = c.Location()
			}
		}
		if m.From == "" || pl.stage(m.From) != nil {
			continue
		}
		add(m.From, c.Location())
	}
	return nil
}

// secretID is the id a secret mount asks for, as BuildKit's Dockerfile
// frontend derives it: src=, else id=, else the target's base name.
func secretID(m *instructions.Mount) string {
	switch {
	case m.Source != "":
		return m.Source
	case m.CacheID != "":
		return m.CacheID
	case m.Target != "":
		return path.Base(m.Target)
	}
	return ""
}

// checkShadowing refuses a stage named like the named context of an image
// the build pins: BuildKit would replace the whole stage with the image.
func (bp *bkPlan) checkShadowing() error {
	for _, img := range bp.images {
		key, err := contextKey(img.ref)
		if err != nil {
			return lineErr(bp.file, img.loc, fmt.Errorf("parsing image reference %q: %w", img.ref, err))
		}
		if bp.stages[strings.ToLower(key)] {
			return lineErr(bp.file, img.loc, fmt.Errorf("a stage is named %q like the image %q it would hide: rename the stage", key, img.ref))
		}
	}
	return nil
}

// secretIDs lists the secret ids the RUN steps mount, sorted.
func (bp *bkPlan) secretIDs() []string {
	ids := make([]string, 0, len(bp.secrets))
	for id := range bp.secrets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// contextKey is the name under which BuildKit's Dockerfile frontend looks
// up a named context for an image reference (dockerui.Client.NamedContext).
func contextKey(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(reference.FamiliarString(named), ":latest"), nil
}
