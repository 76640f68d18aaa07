package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"

	"github.com/paved-dev/paved/pipelines/failure"
)

// ErrRoutes is returned (wrapped, as a policy failure) when an Ingress does
// not route the repository's services; the error lists every problem.
var ErrRoutes = errors.New("the Ingress does not route the services")

// RoutesReport is what CheckRoutes found.
type RoutesReport struct {
	// Files are the Ingress files checked, one per environment.
	Files []string `json:"files"`
	// Problems lists every problem, each naming its file; empty when the
	// Ingresses route every service.
	Problems []string `json:"problems"`
}

// RoutesRequest asks WriteRoutes for the Ingress of Env, or of every
// environment when Env is empty.
type RoutesRequest struct {
	Env            string
	RunID, TraceID string
}

// CheckRoutes checks the Ingress of env (every environment when env is
// empty) against versions.yaml and the manifests: it is one
// networking.k8s.io/v1 Ingress with path-based rules; every service recorded
// in versions.yaml for the environment, except those with route: none, has
// a path to its Service; no two Services claim the same path; every backend
// Service exists in the manifests of the environment. With problems, the
// report lists them and the error is a failure.PolicyErr wrapping ErrRoutes.
func CheckRoutes(ctx context.Context, repoURL, env string, opts ...Option) (*RoutesReport, error) {
	o := newOptions(opts)
	_, wt, err := o.remote(repoURL).Clone(ctx, o.branch)
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(wt.Filesystem)
	if err != nil {
		return nil, err
	}
	envs, err := routeEnvs(cfg, env)
	if err != nil {
		return nil, err
	}
	versions, _, err := LoadVersions(wt.Filesystem)
	if err != nil {
		return nil, err
	}
	rep := &RoutesReport{Problems: []string{}}
	for _, e := range envs {
		file := cfg.Routes.FileFor(e)
		rep.Files = append(rep.Files, file)
		data, err := readFile(wt.Filesystem, file)
		if errors.Is(err, fs.ErrNotExist) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: no such file: run paved deploy routes --write", file))
			continue
		}
		if err != nil {
			return nil, err
		}
		rep.Problems = append(rep.Problems, checkIngress(wt.Filesystem, cfg, versions, e, file, data)...)
	}
	return rep, rep.err()
}

// err is the policy failure listing the report's problems, or nil.
func (r *RoutesReport) err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return failure.PolicyErr(fmt.Errorf("checking routes: %w: %s", ErrRoutes, strings.Join(r.Problems, "; ")))
}

// WriteRoutes generates the Ingress of req.Env (every environment when
// empty) from paved-gitops.yaml and versions.yaml and commits it like a
// bump: dry-run, retries and no commit when nothing changed. An Ingress that
// would not pass CheckRoutes (two services on one path, a backend Service
// missing from the manifests) is refused as a policy failure.
func WriteRoutes(ctx context.Context, repoURL string, req RoutesRequest, opts ...Option) (*Result, error) {
	if err := checkIDs(req.RunID, req.TraceID); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return transact(ctx, repoURL, o, func(fsys billy.Filesystem, cfg *Config) (*plan, error) {
		envs, err := routeEnvs(cfg, req.Env)
		if err != nil {
			return nil, err
		}
		versions, _, err := LoadVersions(fsys)
		if err != nil {
			return nil, err
		}
		ch := changes{}
		rep := &RoutesReport{}
		before, after := 0, 0
		for _, env := range envs {
			file := cfg.Routes.FileFor(env)
			data, n := renderIngress(cfg, versions, env)
			rep.Problems = append(rep.Problems, checkIngress(fsys, cfg, versions, env, file, data)...)
			old, err := readFile(fsys, file)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			before, after = before+countPaths(old), after+n
			if string(old) != string(data) {
				ch[file] = &fileChange{Path: file, Old: old, New: data}
			}
		}
		if err := rep.err(); err != nil {
			return nil, err
		}
		return &plan{changes: ch, message: message{
			Service: "routes", Env: strings.Join(envs, ", "), Action: "write Ingress for",
			OldVersion: fmt.Sprintf("%d paths", before), NewVersion: fmt.Sprintf("%d paths", after),
			Image: "none (routing only)", RunID: req.RunID, TraceID: req.TraceID,
		}}, nil
	})
}

// routeEnvs returns env, checked, or every environment when env is empty.
func routeEnvs(cfg *Config, env string) ([]string, error) {
	if env != "" {
		_, err := cfg.EnvIndex(env)
		return []string{env}, err
	}
	out := make([]string, len(cfg.Environments))
	for i, e := range cfg.Environments {
		out[i] = e.Name
	}
	return out, nil
}

// routed returns the services recorded in versions.yaml for env that the
// Ingress must route, sorted, with their route and port.
func routed(cfg *Config, versions *Versions, env string) []route {
	var out []route
	for name, envs := range versions.Services {
		if envs[env] == nil {
			continue
		}
		r := route{service: name, path: "/" + name, port: 80}
		if s := cfg.Services[name]; s != nil {
			r.path, r.port = s.Route, s.Port
		}
		if r.path != RouteNone {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].service < out[j].service
	})
	return out
}

// route is one service's path in the Ingress.
type route struct {
	service, path string
	port          int
}
