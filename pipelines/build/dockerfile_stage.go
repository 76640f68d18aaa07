package build

import (
	"context"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/cache"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/paved-dev/paved/pipelines/failure"
)

// defaultPath is the PATH BuildKit gives a Linux stage whose base has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// executor runs a plan's stages for one platform.
type executor struct {
	ctx    context.Context
	pl     *plan
	o      *Options
	r      *resolver
	bctx   *buildContext
	cache  cache.Cache
	done   map[int]*stageState
	images map[string]*rootfs // file systems of COPY --from=<image> sources
	used   map[string]bool    // ARG names declared by the stages that ran
}

// stageState is a stage being executed.
type stageState struct {
	plan    *stagePlan
	root    string   // image the stage's chain of FROMs starts at; "" for scratch
	base    v1.Image // image the stage starts from
	cfg     v1.Config
	author  string
	cmdSet  bool // CMD was set in this stage (ENTRYPOINT then keeps it)
	adds    []mutate.Addendum
	fs      *rootfs
	args    map[string]string
	trigger string   // the ONBUILD trigger being run, for messages
	img     v1.Image // the stage's image, once done
}

// run executes the target and the stages it needs, in Dockerfile order.
func (e *executor) run() (*stageState, error) {
	for _, sp := range e.pl.stages {
		if !sp.reachable {
			continue
		}
		s, err := e.start(sp)
		if err != nil {
			return nil, err
		}
		for _, cmd := range sp.stage.Commands {
			if err := e.dispatch(s, cmd); err != nil {
				return nil, err
			}
		}
		if s.img, err = s.image(); err != nil {
			return nil, err
		}
		e.done[sp.index] = s
	}
	return e.done[e.pl.target.index], nil
}

// start sets a stage up from its FROM: an earlier stage, scratch or an
// image, resolved and checked by the resolver; ONBUILD triggers run first.
func (e *executor) start(sp *stagePlan) (*stageState, error) {
	s := &stageState{plan: sp, args: map[string]string{}}
	switch {
	case sp.parent != nil:
		parent := e.done[sp.parent.index]
		s.root, s.base, s.fs = parent.root, parent.img, parent.fs.clone()
		s.cfg = *parent.cfg.DeepCopy()
	case isScratch(sp.base):
		s.base, s.fs = Empty(), newRootfs(nil)
	default:
		img, err := e.r.image(e.ctx, sp.base, sp.platform)
		if err != nil {
			return nil, located(e.pl.file, sp.stage.Location, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, located(e.pl.file, sp.stage.Location, fmt.Errorf("reading base image config %q: %w", sp.base, err))
		}
		s.root, s.base, s.fs = sp.base, img, newRootfs(cache.Image(img, e.cache))
		s.cfg = *cf.Config.DeepCopy()
	}
	if _, ok := (stageEnv{s}).Get("PATH"); !ok {
		s.cfg.Env = append(s.cfg.Env, "PATH="+defaultPath)
	}
	triggers := s.cfg.OnBuild
	s.cfg.OnBuild = nil
	for _, t := range triggers {
		if err := e.onbuild(s, t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// onbuild runs one ONBUILD trigger of the stage's base.
func (e *executor) onbuild(s *stageState, trigger string) error {
	at := func(err error) error {
		return lineErr(e.pl.file, s.plan.stage.Location, fmt.Errorf("ONBUILD trigger %q of base %q: %w", trigger, s.plan.base, err))
	}
	res, err := parser.Parse(strings.NewReader(trigger))
	if err != nil || len(res.AST.Children) != 1 {
		return at(fmt.Errorf("not one instruction: rebuild the base"))
	}
	node := res.AST.Children[0]
	node.StartLine, node.EndLine = line(s.plan.stage.Location), line(s.plan.stage.Location)
	cmd, err := instructions.ParseCommand(node)
	if err != nil {
		return at(err)
	}
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		return at(fmt.Errorf("RUN %w, and paved builds without one: %s", ErrNeedsContainer, elsewhere))
	case *instructions.CopyCommand:
		if c.From != "" {
			return at(fmt.Errorf("COPY --from %w in a trigger: copy in the Dockerfile instead", ErrUnsupported))
		}
	}
	if err := e.pl.checkCommand(cmd); err != nil {
		return err
	}
	s.trigger = trigger
	defer func() { s.trigger = "" }()
	return e.dispatch(s, cmd)
}

// dispatch expands one instruction's variables and executes it.
func (e *executor) dispatch(s *stageState, cmd instructions.Command) error {
	env := stageEnv{s}
	expand := func(word string) (string, error) { return e.pl.expand(word, env) }
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		if _, isArg := cmd.(*instructions.ArgCommand); !isArg {
			if err := ex.Expand(expand); err != nil {
				return lineErr(e.pl.file, cmd.Location(), err)
			}
		}
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		if err := ex.ExpandRaw(expand); err != nil {
			return lineErr(e.pl.file, cmd.Location(), err)
		}
	}
	layer, err := e.execute(s, cmd)
	if err != nil {
		return located(e.pl.file, cmd.Location(), err)
	}
	createdBy := strings.TrimSpace(fmt.Sprint(cmd))
	if s.trigger != "" {
		createdBy = "ONBUILD " + s.trigger
	}
	s.adds = append(s.adds, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:    v1.Time{Time: e.o.Created},
			CreatedBy:  createdBy,
			Comment:    "paved",
			EmptyLayer: layer == nil,
		},
	})
	return nil
}

// execute runs one expanded instruction; it returns the layer it made, or
// nil for an instruction that only changes the config.
func (e *executor) execute(s *stageState, cmd instructions.Command) (v1.Layer, error) {
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		return e.copy(s, c)
	case *instructions.AddCommand:
		return e.add(s, c)
	case *instructions.WorkdirCommand:
		return e.workdir(s, c)
	case *instructions.ArgCommand:
		return nil, e.arg(s, c)
	case *instructions.ExposeCommand:
		return nil, e.expose(s, c)
	case *instructions.RunCommand:
		return nil, e.pl.checkCommand(c)
	default:
		return nil, configure(s, cmd)
	}
}

// arg declares stage ARGs: a --build-arg wins, then the default, then the
// global ARG of the same name.
func (e *executor) arg(s *stageState, c *instructions.ArgCommand) error {
	for _, kv := range c.Args {
		e.used[kv.Key] = true
		v, ok := e.o.BuildArgs[kv.Key]
		if !ok && kv.Value != nil {
			var err error
			if v, err = e.pl.expand(*kv.Value, stageEnv{s}); err != nil {
				return failure.BadInputErr(err)
			}
			ok = true
		}
		if !ok {
			v, ok = e.pl.globals[kv.Key]
		}
		if ok {
			s.args[kv.Key] = v
		}
	}
	return nil
}

// workdir sets the working directory and creates it, owned by the
// stage's USER, when the file system does not have it yet.
func (e *executor) workdir(s *stageState, c *instructions.WorkdirCommand) (v1.Layer, error) {
	wd := c.Path
	if !path.IsAbs(wd) {
		wd = path.Join("/", s.cfg.WorkingDir, wd)
	}
	wd = path.Clean(wd)
	s.cfg.WorkingDir = wd
	if err := s.fs.load(); err != nil {
		return nil, err
	}
	real := s.fs.resolve(wd, true)
	if n := s.fs.get(real); real == "/" || (n != nil && n.Dir) {
		return nil, nil
	}
	own := owner{}
	if s.cfg.User != "" {
		var err error
		if own, err = e.owner(s, s.cfg.User); err != nil {
			return nil, err
		}
	}
	dir := File{Path: real, Dir: true, Mode: 0o755, UID: own.uid, GID: own.gid}
	files, err := withParents(s.fs, []File{dir}, own)
	if err != nil {
		return nil, err
	}
	return e.layer(s, files)
}

// layer makes a reproducible layer of files and records them in the
// stage's file system.
func (e *executor) layer(s *stageState, files []File) (v1.Layer, error) {
	for _, f := range files {
		if strings.ContainsRune(f.Path, 0) {
			return nil, failure.BadInputErr(fmt.Errorf("path %q has a NUL byte: fix the path", f.Path))
		}
	}
	l, err := Layer(files, e.o.Created)
	if err != nil {
		// Layer only fails on entries it cannot encode: paths the
		// Dockerfile named.
		return nil, failure.BadInputErr(fmt.Errorf("%w: fix the path", err))
	}
	s.fs.put(files)
	return l, nil
}

// image is the stage's image: its base, the layers and history it added,
// and its config, for the stage's platform.
func (s *stageState) image() (v1.Image, error) {
	img, err := mutate.Append(s.base, s.adds...)
	if err != nil {
		return nil, fmt.Errorf("adding layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Config = s.cfg
	p := s.plan.platform
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	if s.author != "" {
		cf.Author = s.author
	}
	return mutate.ConfigFile(img, cf)
}

// located prefixes err with file:line and keeps its failure class.
func located(file string, loc []parser.Range, err error) error {
	if l := line(loc); l > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("%s:", file)) {
		return fmt.Errorf("%s:%d: %w", file, l, err)
	}
	return err
}

// stageEnv is what variables expand to in a stage: ENV values win over
// ARG values, as in Docker.
type stageEnv struct{ s *stageState }

func (e stageEnv) Get(k string) (string, bool) {
	env := e.s.cfg.Env
	for i := len(env) - 1; i >= 0; i-- {
		if key, v, _ := strings.Cut(env[i], "="); key == k {
			return v, true
		}
	}
	v, ok := e.s.args[k]
	return v, ok
}

func (e stageEnv) Keys() []string {
	keys := make([]string, 0, len(e.s.cfg.Env)+len(e.s.args))
	for _, kv := range e.s.cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	for k := range e.s.args {
		keys = append(keys, k)
	}
	return keys
}
