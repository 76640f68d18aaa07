package build

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrNeedsContainer is returned (wrapped, as bad input, naming the
// Dockerfile and line) for an instruction that only a running container can
// execute, such as RUN.
var ErrNeedsContainer = errors.New("needs a running container")

// ErrUnsupported is returned (wrapped, as bad input, naming the Dockerfile
// and line) for a Dockerfile feature the daemonless builder does not
// execute, such as ADD of a URL.
var ErrUnsupported = errors.New("is not supported by paved's daemonless Dockerfile builder")

// ErrNoBuildArg is wrapped (as bad input) by the refusal of an ARG that
// nothing gives a value: neither a default nor the build's arguments.
var ErrNoBuildArg = errors.New("no value was given")

// ErrNoDockerfile is returned (wrapped, as bad input) when the Dockerfile
// does not exist.
var ErrNoDockerfile = errors.New("no such file")

// elsewhere says where a Dockerfile the daemonless builder refuses builds.
const elsewhere = "build it through a BuildKit endpoint (paved buildkit serve starts a local one) or the Dagger module (dagger call build)"

// plan is a Dockerfile parsed for one target platform: its stages with
// their bases expanded, and which of them the target needs.
type plan struct {
	file     string // the Dockerfile's path, for messages
	lex      *shell.Lex
	platform v1.Platform
	globals  map[string]string // ARGs before the first FROM, and the platform ARGs
	stages   []*stagePlan
	target   *stagePlan
	// declared holds every ARG name the Dockerfile declares.
	declared map[string]bool
}

// stagePlan is one FROM ... stage.
type stagePlan struct {
	index     int
	stage     *instructions.Stage
	base      string     // expanded FROM name: an image, "scratch" or an earlier stage
	parent    *stagePlan // set when base names an earlier stage
	platform  v1.Platform
	reachable bool
}

// line returns the first line of a parsed location, 0 when unknown.
func line(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// lineErr wraps err as bad input at file:line, the form editors link to.
func lineErr(file string, loc []parser.Range, err error) error {
	if l := line(loc); l > 0 {
		return failure.BadInputErr(fmt.Errorf("%s:%d: %w", file, l, err))
	}
	return failure.BadInputErr(fmt.Errorf("%s: %w", file, err))
}

// readDockerfile reads the Dockerfile name (relative to the context dir,
// or absolute). A symbolic link that leads out of the context is refused
// unread (a link to a host file must not be read into an error), and so is
// a file with a NUL byte (a Dockerfile is text).
func readDockerfile(dir, name string) (string, []byte, error) {
	file := name
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	if st, err := os.Lstat(file); err == nil && st.Mode()&os.ModeSymlink != 0 {
		if err := linkInside(dir, file); err != nil {
			return file, nil, err
		}
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return file, nil, failure.BadInputErr(fmt.Errorf("reading Dockerfile %q: %w: add one or point at it (build.dockerfile in paved.yaml)", file, ErrNoDockerfile))
	}
	if err != nil {
		return file, nil, failure.BadInputErr(fmt.Errorf("reading Dockerfile %q: %w", file, err))
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return file, nil, failure.BadInputErr(fmt.Errorf("%s:%d: a NUL byte: a Dockerfile is text; check that the file is the Dockerfile", file, 1+bytes.Count(data[:i], []byte("\n"))))
	}
	return file, data, nil
}

// linkInside refuses a symbolic link file that resolves outside dir.
func linkInside(dir, file string) error {
	root, err := filepath.Abs(dir)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("reading build context %q: %w", dir, err))
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("reading Dockerfile %q: %w", file, err))
	}
	rel, err := filepath.Rel(root, abs)
	if err == nil && within(root, abs) {
		_, err = insideDir(root, rel)
	}
	if err != nil || !within(root, abs) {
		return failure.BadInputErr(fmt.Errorf("reading Dockerfile %q: %w: it is a symbolic link out of the build context: copy the Dockerfile into the context", file, ErrEscapesContext))
	}
	return nil
}

// parseDockerfile parses data with BuildKit's parser into a plan for
// platform p: global ARGs (build args override them), FROM names and
// platforms expanded, the target stage and the stages it needs. Instructions
// that need a running container are refused.
func parseDockerfile(file string, data []byte, p v1.Platform, o *Options) (*plan, error) {
	pl, err := planStages(file, data, p, o, nil)
	if err != nil {
		return nil, err
	}
	return pl, pl.check()
}

// planStages is the part of planning both builders share: parse, expand the
// global ARGs (checkGlobal, when set, may refuse one), add every stage, pick
// the target and mark the stages it needs.
func planStages(file string, data []byte, p v1.Platform, o *Options, checkGlobal func(loc []parser.Range, key string, hasDefault bool) error) (*plan, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, parseErr(file, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, parseErr(file, err)
	}
	if len(stages) == 0 {
		return nil, failure.BadInputErr(fmt.Errorf("%s: no FROM instruction: start the Dockerfile with FROM <image>", file))
	}
	pl := &plan{file: file, lex: shell.NewLex(res.EscapeToken), platform: p, declared: map[string]bool{}}
	pl.globals = platformArgs(p, o.BuildArgs)
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if checkGlobal != nil {
				if err := checkGlobal(a.Location(), kv.Key, kv.Value != nil); err != nil {
					return nil, err
				}
			}
			pl.declared[kv.Key] = true
			if v, ok := o.BuildArgs[kv.Key]; ok {
				pl.globals[kv.Key] = v
				continue
			}
			if kv.Value == nil {
				continue
			}
			v, err := pl.expand(*kv.Value, mapEnv(pl.globals))
			if err != nil {
				return nil, lineErr(file, a.Location(), err)
			}
			pl.globals[kv.Key] = v
		}
	}
	for i := range stages {
		if err := pl.addStage(i, &stages[i]); err != nil {
			return nil, err
		}
	}
	if err := pl.pickTarget(o.Target); err != nil {
		return nil, err
	}
	if err := pl.markReachable(pl.target); err != nil {
		return nil, err
	}
	return pl, nil
}

// parseErr turns a parser error into one bad-input line at file:line.
func parseErr(file string, err error) error {
	var loc *parser.LocationError
	if errors.As(err, &loc) && len(loc.Locations) > 0 {
		return lineErr(file, loc.Locations[0], fmt.Errorf("%w: fix the Dockerfile", loc.Unwrap()))
	}
	return failure.BadInputErr(fmt.Errorf("parsing Dockerfile %q: %w: fix the Dockerfile", file, err))
}

// platformArgs are the ARGs BuildKit predefines for a build of p; the build
// platform is the machine paved runs on (nothing runs, so it only names).
func platformArgs(p v1.Platform, overrides map[string]string) map[string]string {
	bp := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	args := map[string]string{
		"BUILDPLATFORM": bp.String(), "BUILDOS": bp.OS, "BUILDARCH": bp.Architecture, "BUILDVARIANT": "",
		"TARGETPLATFORM": p.String(), "TARGETOS": p.OS, "TARGETARCH": p.Architecture, "TARGETVARIANT": p.Variant,
	}
	for k := range args {
		if v, ok := overrides[k]; ok {
			args[k] = v
		}
	}
	return args
}

// addStage expands stage i's FROM name and --platform with the global ARGs.
func (pl *plan) addStage(i int, st *instructions.Stage) error {
	base, err := pl.expand(st.BaseName, mapEnv(pl.globals))
	if err != nil {
		return lineErr(pl.file, st.Location, err)
	}
	if base == "" {
		return lineErr(pl.file, st.Location, fmt.Errorf("FROM %s is empty after ARG substitution (%w): give the ARG a default", st.BaseName, ErrNoBuildArg))
	}
	sp := &stagePlan{index: i, stage: st, base: base, platform: pl.platform}
	if st.Platform != "" {
		v, err := pl.expand(st.Platform, mapEnv(pl.globals))
		if err != nil {
			return lineErr(pl.file, st.Location, err)
		}
		if sp.platform, err = parsePlatform(v); err != nil {
			return lineErr(pl.file, st.Location, err)
		}
	}
	if parent := pl.stage(base); parent != nil {
		sp.parent = parent
	}
	pl.stages = append(pl.stages, sp)
	return nil
}

func parsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("FROM --platform=%q is not a platform: write os/arch[/variant], e.g. linux/arm64", s)
	}
	return *p, nil
}

// stage returns the stage already added that name (case-insensitive) names.
func (pl *plan) stage(name string) *stagePlan {
	for _, sp := range pl.stages {
		if sp.stage.Name != "" && strings.EqualFold(sp.stage.Name, name) {
			return sp
		}
	}
	return nil
}

func (pl *plan) pickTarget(target string) error {
	if target == "" {
		pl.target = pl.stages[len(pl.stages)-1]
		return nil
	}
	if pl.target = pl.stage(target); pl.target != nil {
		return nil
	}
	var names []string
	for _, sp := range pl.stages {
		if sp.stage.Name != "" {
			names = append(names, sp.stage.Name)
		}
	}
	return failure.BadInputErr(fmt.Errorf("%s: target stage %q not found: pick one of %v", pl.file, target, names))
}

// copyFrom resolves COPY --from=from in stage cur: an earlier stage by name
// or index, or else an image reference.
func (pl *plan) copyFrom(cur *stagePlan, c *instructions.CopyCommand) (*stagePlan, string, error) {
	from := c.From
	if strings.Contains(from, "$") {
		return nil, "", lineErr(pl.file, c.Location(), fmt.Errorf("COPY --from=%s: variables are not expanded in COPY --from: define a stage FROM the ARG and copy from it", from))
	}
	if i, err := strconv.Atoi(from); err == nil {
		if i < 0 || i >= cur.index {
			return nil, "", lineErr(pl.file, c.Location(), fmt.Errorf("COPY --from=%d: no earlier stage has that index", i))
		}
		return pl.stages[i], "", nil
	}
	for _, sp := range pl.stages {
		if sp.stage.Name == "" || !strings.EqualFold(sp.stage.Name, from) {
			continue
		}
		if sp.index >= cur.index {
			return nil, "", lineErr(pl.file, c.Location(), fmt.Errorf("COPY --from=%s: that stage is not defined before this one: move it up", from))
		}
		return sp, "", nil
	}
	if !strings.ContainsAny(from, "/:@") {
		// A bare word is a stage's name far more often than a Docker Hub
		// image: a mistyped stage must not be fetched from Docker Hub.
		return nil, "", lineErr(pl.file, c.Location(), fmt.Errorf("COPY --from=%s: no stage is named %s (%s): fix the name, or name an image with its registry (REGISTRY/REPO:TAG)", from, from, pl.stageNames()))
	}
	return nil, from, nil
}

// stageNames lists the named stages for a message.
func (pl *plan) stageNames() string {
	var names []string
	for _, sp := range pl.stages {
		if sp.stage.Name != "" {
			names = append(names, sp.stage.Name)
		}
	}
	if len(names) == 0 {
		return "no stage has a name"
	}
	return "stages: " + strings.Join(names, ", ")
}

// markReachable marks sp and every stage it builds on or copies from.
func (pl *plan) markReachable(sp *stagePlan) error {
	if sp.reachable {
		return nil
	}
	sp.reachable = true
	if sp.parent != nil {
		if err := pl.markReachable(sp.parent); err != nil {
			return err
		}
	}
	for _, cmd := range sp.stage.Commands {
		c, ok := cmd.(*instructions.CopyCommand)
		if !ok || c.From == "" {
			continue
		}
		dep, _, err := pl.copyFrom(sp, c)
		if err != nil {
			return err
		}
		if dep != nil {
			if err := pl.markReachable(dep); err != nil {
				return err
			}
		}
	}
	return nil
}

// check refuses, before anything is fetched, the instructions of the
// stages the target needs that the daemonless builder cannot execute.
func (pl *plan) check() error {
	for _, sp := range pl.stages {
		if !sp.reachable {
			continue
		}
		for _, cmd := range sp.stage.Commands {
			if err := pl.checkCommand(cmd); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pl *plan) checkCommand(cmd instructions.Command) error {
	switch c := cmd.(type) {
	case *instructions.RunCommand:
		return lineErr(pl.file, c.Location(), fmt.Errorf("RUN %w, and paved builds without one: %s", ErrNeedsContainer, elsewhere))
	case *instructions.AddCommand:
		if c.Checksum != "" || c.KeepGitDir != nil {
			return lineErr(pl.file, c.Location(), fmt.Errorf("ADD --checksum and --keep-git-dir (remote sources) %w: %s", ErrUnsupported, elsewhere))
		}
		for _, src := range c.SourcePaths {
			if err := checkAddSource(src); err != nil {
				return lineErr(pl.file, c.Location(), err)
			}
		}
	case *instructions.CopyCommand:
		if c.Parents {
			return lineErr(pl.file, c.Location(), fmt.Errorf("COPY --parents %w: copy each directory with its own COPY", ErrUnsupported))
		}
	}
	return nil
}

// checkAddSource refuses remote ADD sources: a URL or a git repository.
func checkAddSource(src string) error {
	lower := strings.ToLower(src)
	for _, prefix := range []string{"http://", "https://", "git://", "git@", "ssh://"} {
		if strings.HasPrefix(lower, prefix) {
			return fmt.Errorf("ADD of %q %w (it fetches from the network): download it into the build context and COPY it, or %s", src, ErrUnsupported, elsewhere)
		}
	}
	return nil
}

// expand substitutes variables in word the way the Dockerfile's shell lexer
// does, with the escape token the Dockerfile chose.
func (pl *plan) expand(word string, env shell.EnvGetter) (string, error) {
	out, _, err := pl.lex.ProcessWord(word, env)
	return out, err
}

// mapEnv adapts a map to BuildKit's variable lookup.
type mapEnv map[string]string

func (m mapEnv) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }

func (m mapEnv) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
