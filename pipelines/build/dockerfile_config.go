package build

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/sys/signal"
	"github.com/moby/sys/user"

	"github.com/paved-dev/paved/pipelines/failure"
)

// configure executes an instruction that only changes the image config.
func configure(s *stageState, cmd instructions.Command) error {
	c := &s.cfg
	switch cmd := cmd.(type) {
	case *instructions.EnvCommand:
		for _, kv := range cmd.Env {
			c.Env = mergeEnv(c.Env, []string{kv.Key + "=" + kv.Value})
		}
	case *instructions.LabelCommand:
		for _, kv := range cmd.Labels {
			c.Labels = merge(c.Labels, map[string]string{kv.Key: kv.Value})
		}
	case *instructions.UserCommand:
		c.User = cmd.User
	case *instructions.EntrypointCommand:
		c.Entrypoint = withShell(c, cmd.ShellDependantCmdLine)
		if !s.cmdSet {
			c.Cmd = nil
		}
	case *instructions.CmdCommand:
		c.Cmd = withShell(c, cmd.ShellDependantCmdLine)
		c.ArgsEscaped = true // as BuildKit sets it, for Docker's image spec
		s.cmdSet = true
	case *instructions.HealthCheckCommand:
		h := cmd.Health
		c.Healthcheck = &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
	case *instructions.StopSignalCommand:
		if _, err := signal.ParseSignal(cmd.Signal); err != nil {
			return failure.BadInputErr(fmt.Errorf("STOPSIGNAL %q: %w: use a name such as SIGTERM or a number", cmd.Signal, err))
		}
		c.StopSignal = cmd.Signal
	case *instructions.ShellCommand:
		c.Shell = cmd.Shell
	case *instructions.VolumeCommand:
		for _, v := range cmd.Volumes {
			if v == "" {
				return failure.BadInputErr(fmt.Errorf("VOLUME with an empty path: name the path"))
			}
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			c.Volumes[v] = struct{}{}
		}
	case *instructions.OnbuildCommand:
		// Recorded for images built FROM this one, as Docker does.
		c.OnBuild = append(c.OnBuild, cmd.Expression)
	case *instructions.MaintainerCommand:
		s.author = cmd.Maintainer
	default:
		return failure.BadInputErr(fmt.Errorf("%s %w", strings.ToUpper(cmd.Name()), ErrUnsupported))
	}
	return nil
}

// withShell returns a command line: as written in exec (JSON) form, or
// run by the image's SHELL (default /bin/sh -c) in shell form.
func withShell(c *v1.Config, line instructions.ShellDependantCmdLine) []string {
	if !line.PrependShell {
		return line.CmdLine
	}
	shell := []string{"/bin/sh", "-c"}
	if len(c.Shell) > 0 {
		shell = append([]string(nil), c.Shell...)
	}
	return append(shell, strings.Join(line.CmdLine, " "))
}

// expose records EXPOSE ports as "port/proto", expanding ranges.
func (e *executor) expose(s *stageState, c *instructions.ExposeCommand) error {
	for _, word := range c.Ports {
		specs, err := e.pl.lex.ProcessWords(word, stageEnv{s})
		if err != nil {
			return failure.BadInputErr(err)
		}
		for _, spec := range specs {
			ports, err := parsePorts(spec)
			if err != nil {
				return failure.BadInputErr(err)
			}
			if s.cfg.ExposedPorts == nil {
				s.cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range ports {
				s.cfg.ExposedPorts[p] = struct{}{}
			}
		}
	}
	return nil
}

// parsePorts parses "80", "80/udp" or "8000-8002/tcp".
func parsePorts(spec string) ([]string, error) {
	bad := fmt.Errorf("EXPOSE %q is not a port: write PORT[/PROTO] or FIRST-LAST[/PROTO]", spec)
	ports, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" && proto != "sctp" {
		return nil, bad
	}
	first, last, isRange := strings.Cut(ports, "-")
	lo, err := strconv.ParseUint(first, 10, 16)
	if err != nil || lo == 0 {
		return nil, bad
	}
	hi := lo
	if isRange {
		if hi, err = strconv.ParseUint(last, 10, 16); err != nil || hi < lo {
			return nil, bad
		}
	}
	var out []string
	for p := lo; p <= hi; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}

// owner is a file owner; set is false when files keep their own.
type owner struct {
	uid, gid int
	set      bool
}

// owner resolves "user[:group]", by number or by name in the stage's
// /etc/passwd and /etc/group.
func (e *executor) owner(s *stageState, spec string) (owner, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	o := owner{set: true}
	if id, err := strconv.Atoi(userPart); err == nil {
		o.uid, o.gid = id, id
	} else if userPart != "root" {
		u, err := e.lookup(s, "/etc/passwd", userPart, func(data []byte) (int, int, bool, error) {
			us, err := user.ParsePasswdFilter(bytes.NewReader(data), func(u user.User) bool { return u.Name == userPart })
			if err != nil || len(us) == 0 {
				return 0, 0, false, err
			}
			return us[0].Uid, us[0].Gid, true, nil
		})
		if err != nil {
			return o, err
		}
		o.uid, o.gid = u[0], u[1]
	}
	if !hasGroup {
		return o, nil
	}
	if id, err := strconv.Atoi(groupPart); err == nil {
		o.gid = id
		return o, nil
	}
	if groupPart == "root" {
		o.gid = 0
		return o, nil
	}
	g, err := e.lookup(s, "/etc/group", groupPart, func(data []byte) (int, int, bool, error) {
		gs, err := user.ParseGroupFilter(bytes.NewReader(data), func(g user.Group) bool { return g.Name == groupPart })
		if err != nil || len(gs) == 0 {
			return 0, 0, false, err
		}
		return gs[0].Gid, gs[0].Gid, true, nil
	})
	o.gid = g[1]
	return o, err
}

// lookup finds name in the stage's file at file with find.
func (e *executor) lookup(s *stageState, file, name string, find func([]byte) (int, int, bool, error)) ([2]int, error) {
	if err := s.fs.load(); err != nil {
		return [2]int{}, err
	}
	n := s.fs.get(s.fs.resolve(file, true))
	var data []byte
	if n != nil && !n.Dir && n.Link == "" {
		if err := s.fs.read([]*node{n}); err != nil {
			return [2]int{}, err
		}
		data = n.Data
	}
	a, b, ok, err := find(data)
	if err != nil {
		return [2]int{}, failure.BadInputErr(fmt.Errorf("reading %s of the stage: %w", file, err))
	}
	if !ok {
		return [2]int{}, failure.BadInputErr(fmt.Errorf("%q is not in the stage's %s: use a numeric id or add it to the base", name, file))
	}
	return [2]int{a, b}, nil
}
