package build

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/cache"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/paved-dev/paved/pipelines/policy"
)

// dockerfileBuilder executes a Dockerfile without a container daemon.
type dockerfileBuilder struct {
	dir string
	o   *Options
}

// Dockerfile returns a Builder for the Dockerfile (WithDockerfile, default
// "Dockerfile" in contextDir) of the build context contextDir.
//
// It executes every instruction that needs no running container: FROM
// (with --platform, ARG substitution and earlier stages), COPY (from the
// context, earlier stages and images, with --chown, --chmod, --exclude,
// wildcards and heredocs), ADD of local files and tar archives, ENV, ARG,
// WORKDIR, USER, EXPOSE, LABEL, ENTRYPOINT, CMD, STOPSIGNAL, HEALTHCHECK,
// SHELL, VOLUME, MAINTAINER and ONBUILD (recorded; a base's triggers run).
// RUN, and ADD of a URL or git repository, fail as bad input naming the
// file and line (ErrNeedsContainer, ErrUnsupported). Only the target stage
// (WithTarget, default the last) and the stages it needs are built.
//
// Every image used is resolved to a digest and checked against the policy
// before any layer is made; the context honours .dockerignore and refuses
// sources outside it (ErrEscapesContext) and a context over the limit
// (ErrContextTooLarge). Every layer and timestamp is reproducible.
func Dockerfile(contextDir string, opts ...Option) Builder {
	return &dockerfileBuilder{dir: contextDir, o: newOptions(opts)}
}

// Build executes the Dockerfile for each platform.
func (b *dockerfileBuilder) Build(ctx context.Context) (*Result, error) {
	file, data, err := readDockerfile(b.dir, b.o.Dockerfile)
	if err != nil {
		return nil, err
	}
	plans := make([]*plan, len(b.o.Platforms))
	for i, p := range b.o.Platforms {
		if plans[i], err = parseDockerfile(file, data, p, b.o); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	bctx, err := loadContext(b.dir, file, b.o.ContextLimit)
	if err != nil {
		return nil, err
	}
	timings := map[string]float64{"context": time.Since(start).Seconds()}
	tmp, err := os.MkdirTemp("", "paved-dockerfile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	r := newResolver(b.o)
	used := map[string]bool{}
	var imgs []v1.Image
	var base *policy.Base
	for _, pl := range plans {
		e := &executor{ctx: ctx, pl: pl, o: b.o, r: r, bctx: bctx, cache: cache.NewFilesystemCache(tmp),
			done: map[int]*stageState{}, images: map[string]*rootfs{}, used: used}
		start = time.Now()
		if err := e.resolveAll(); err != nil {
			return nil, err
		}
		timings["resolve"] += time.Since(start).Seconds()
		start = time.Now()
		img, root, err := e.build()
		if err != nil {
			return nil, err
		}
		timings["layer"] += time.Since(start).Seconds()
		base = r.base(root)
		if img, err = finish(img, b.o, base); err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	res := result(imgs, b.o.Platforms, b.o, r, base)
	res.Bases = lastBase(res.Bases, base)
	res.Warnings = append(res.Warnings, unusedArgs(b.o.BuildArgs, plans, used)...)
	res.Timings = timings
	return res, nil
}

// build runs the stages and applies the caller's env and labels to the
// target's image; root is the image the target's FROM chain starts at.
func (e *executor) build() (img v1.Image, root string, err error) {
	s, err := e.run()
	if err != nil {
		return nil, "", err
	}
	img = s.img
	if len(e.o.Env) > 0 || len(e.o.Labels) > 0 {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, "", err
		}
		cf = cf.DeepCopy()
		cf.Config.Env = mergeEnv(cf.Config.Env, e.o.Env)
		cf.Config.Labels = merge(cf.Config.Labels, e.o.Labels)
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, "", err
		}
	}
	// Hash now so that layer compression counts as layer time.
	if _, err := img.Digest(); err != nil {
		return nil, "", fmt.Errorf("hashing image for %s: %w", e.pl.platform.String(), err)
	}
	return img, s.root, nil
}

// resolveAll resolves and checks against the policy every image the
// target needs (FROM and COPY --from) before anything is built; the
// target's own base is resolved last.
func (e *executor) resolveAll() error {
	type use struct {
		ref string
		at  instructions.Command
		sp  *stagePlan
	}
	var uses []use
	root := e.pl.target
	for root.parent != nil {
		root = root.parent
	}
	for _, sp := range e.pl.stages {
		if !sp.reachable {
			continue
		}
		if sp.parent == nil && !isScratch(sp.base) && sp != root {
			uses = append(uses, use{ref: sp.base, sp: sp})
		}
		for _, cmd := range sp.stage.Commands {
			if c, ok := cmd.(*instructions.CopyCommand); ok && c.From != "" {
				if dep, ref, err := e.pl.copyFrom(sp, c); dep == nil && err == nil {
					uses = append(uses, use{ref: ref, at: c, sp: sp})
				}
			}
		}
	}
	if !isScratch(root.base) {
		uses = append(uses, use{ref: root.base, sp: root})
	}
	for _, u := range uses {
		if _, err := e.r.resolve(e.ctx, u.ref); err != nil {
			loc := u.sp.stage.Location
			if u.at != nil {
				loc = u.at.Location()
			}
			return located(e.pl.file, loc, err)
		}
	}
	return nil
}

func isScratch(ref string) bool { return strings.EqualFold(ref, Scratch) }

// base returns the resolved base that ref was recorded as; nil for scratch.
func (r *resolver) base(ref string) *policy.Base {
	if ref == "" {
		return nil
	}
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.bases {
		if r.bases[i].Ref.String() == parsed.String() {
			b := r.bases[i]
			return &b
		}
	}
	return nil
}

// lastBase moves the final stage's base to the end of bases, as
// Result.Bases promises.
func lastBase(bases []policy.Base, final *policy.Base) []policy.Base {
	if final == nil {
		return bases
	}
	out := make([]policy.Base, 0, len(bases))
	for _, b := range bases {
		if b.Ref.String() != final.Ref.String() {
			out = append(out, b)
		}
	}
	return append(out, *final)
}

// unusedArgs warns about build args no ARG of the built stages declares,
// as Docker does; the proxy args are exempt.
func unusedArgs(args map[string]string, plans []*plan, used map[string]bool) []string {
	proxy := map[string]bool{"HTTP_PROXY": true, "HTTPS_PROXY": true, "FTP_PROXY": true, "NO_PROXY": true, "ALL_PROXY": true,
		"http_proxy": true, "https_proxy": true, "ftp_proxy": true, "no_proxy": true, "all_proxy": true}
	var out []string
	for k := range args {
		declared := used[k] || proxy[k]
		for _, pl := range plans {
			declared = declared || pl.declared[k]
		}
		if !declared {
			out = append(out, fmt.Sprintf("build arg %q is not declared by any ARG of the stages built: it has no effect", k))
		}
	}
	sort.Strings(out)
	return out
}
