package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// ConfigFile is the name of the GitOps repository's configuration, at its root.
const ConfigFile = "paved-gitops.yaml"

// Config is paved-gitops.yaml: the ordered environments and, per service, where
// its manifests live and how to edit them.
type Config struct {
	// Environments in promotion order: an image is promoted from one to the next.
	Environments []Environment `yaml:"environments"`
	// Services by name.
	Services map[string]*Service `yaml:"services"`
	// Routes says where the Ingress that routes to the services lives.
	Routes Routes `yaml:"routes,omitempty"`
}

// Routes describes the Ingress (networking.k8s.io/v1) that paved deploy
// routes checks and writes: one per environment, a path-based rule per
// service.
type Routes struct {
	// File is the Ingress manifest, relative to the repository root; "{env}"
	// is replaced by the environment name (default routes/{env}/ingress.yaml).
	File string `yaml:"file,omitempty"`
	// Name is the Ingress's metadata.name (default paved-routes).
	Name string `yaml:"name,omitempty"`
	// Host, when set, is the host of the rule; Class the ingressClassName.
	Host  string `yaml:"host,omitempty"`
	Class string `yaml:"class,omitempty"`
}

// Environment is one deployment environment and the gates an image must pass
// to enter it.
type Environment struct {
	Name string `yaml:"name"`
	// Approval is "required" when every change that makes an image enter
	// this environment (bump, promote, switch, rollback, run) must record
	// who approved it (--approved-by).
	Approval string `yaml:"approval,omitempty"`
	// Gates are the checks an image must pass to enter the environment.
	Gates Gate `yaml:"gates,omitempty"`
}

// Service says where a service's manifests live and how to edit them.
type Service struct {
	// Layout is the name a layout registered (helm, kustomize, manifests:
	// see the layout_*.go files).
	Layout string `yaml:"layout"`
	// Path is the directory of the service's files, relative to the
	// repository root; "{env}" is replaced by the environment name. With
	// several environments, each must have its own files: {env} in the path
	// or in the layout's file settings.
	Path string `yaml:"path"`
	// Image is the image repository the service runs (REGISTRY/NAME).
	// Bumps of any other repository are refused; it is what paved writes
	// into the manifests, and the containers and Kustomize entry to edit
	// are found by it.
	Image     string          `yaml:"image"`
	Helm      HelmLayout      `yaml:"helm,omitempty"`
	Kustomize KustomizeLayout `yaml:"kustomize,omitempty"`
	Manifests ManifestsLayout `yaml:"manifests,omitempty"`
	// BlueGreen runs <svc>-blue and <svc>-green Deployments behind one
	// Service <svc> that selects version: blue or version: green. A bump
	// writes the idle slot; Switch moves traffic. Needs layout: manifests.
	BlueGreen bool `yaml:"blue_green,omitempty"`
	// Route is the Ingress path prefix of the service (default /<service>);
	// "none" keeps the service out of the Ingress (a worker, for instance).
	Route string `yaml:"route,omitempty"`
	// Port is the Service port the Ingress routes to (default 80).
	Port int `yaml:"port,omitempty"`
}

// LoadConfig reads and validates paved-gitops.yaml from the root of fsys.
func LoadConfig(fsys billy.Filesystem) (*Config, error) {
	data, err := readFile(fsys, ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: the GitOps repository has none: add it at the root", ConfigFile))
	}
	if err != nil {
		return nil, err
	}
	return ParseConfig(data)
}

// ParseConfig parses and validates the contents of paved-gitops.yaml.
func ParseConfig(data []byte) (*Config, error) {
	f, err := yamlpatch.Parse(ConfigFile, data)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %s: %w", ConfigFile, err))
	}
	if len(f.Documents()) == 1 {
		c.spelling(f.Documents()[0])
	}
	if err := c.validate(); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("checking %s: %w", ConfigFile, err))
	}
	return &c, nil
}

// spelling lets each service's layout read the settings whose spelling
// matters from the parsed file doc (see spelled).
func (c *Config) spelling(doc *yaml.Node) {
	for name, s := range c.Services {
		if s == nil {
			continue
		}
		if l, ok := layouts[s.Layout].(spelled); ok {
			l.spelling(yamlpatch.Lookup(doc, "services", name), s)
		}
	}
}

func (c *Config) validate() error {
	if len(c.Environments) == 0 {
		return errors.New("no environments: list them in promotion order under environments")
	}
	seen := map[string]bool{}
	for _, e := range c.Environments {
		if e.Name == "" || strings.ContainsAny(e.Name, "/{} ") || seen[e.Name] {
			return fmt.Errorf("environment %q: names must be unique, non-empty, without / { } or spaces", e.Name)
		}
		if e.Approval != "" && e.Approval != ApprovalRequired {
			return fmt.Errorf("environment %q: approval %q: use required or leave it out", e.Name, e.Approval)
		}
		if err := e.Gates.check(); err != nil {
			return fmt.Errorf("environment %q: gates: %w", e.Name, err)
		}
		seen[e.Name] = true
	}
	if err := c.Routes.defaults(len(c.Environments)); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	names := make([]string, 0, len(c.Services))
	for name := range c.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := c.Services[name]
		if s == nil || name == "" || strings.ContainsAny(name, "/ ") {
			return fmt.Errorf("service %q: give a name without / or spaces, and its layout and path", name)
		}
		if err := s.defaults(name, len(c.Environments)); err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
	}
	return nil
}

// defaults fills in defaults and checks the service's settings; envs is
// the number of environments.
func (s *Service) defaults(name string, envs int) error {
	l, err := layoutOf(s)
	if err != nil {
		return err
	}
	if err := checkImageName(s.Image); err != nil {
		return err
	}
	if err := l.defaults(name, s); err != nil {
		return err
	}
	if _, ok := l.(slotted); s.BlueGreen && !ok {
		// A Helm value or a Kustomize images entry sets the image of both
		// slots at once: the slots must be separate manifests.
		return fmt.Errorf("blue_green needs layout: %s (Deployments %s-blue and %s-green and a Service %s), not %s",
			strings.Join(layoutNames(func(l layout) bool { _, ok := l.(slotted); return ok }), " or "), name, name, name, s.Layout)
	}
	if s.Path == "" || path.IsAbs(s.Path) || strings.HasPrefix(path.Clean(s.Path), "..") {
		return fmt.Errorf("path %q: give a directory relative to the repository root", s.Path)
	}
	if envs > 1 && !l.perEnv(s) {
		return fmt.Errorf("path %q: put {env} in it (or in the layout's file settings): with %d environments sharing these files, a bump of one would change what the others run", s.Path, envs)
	}
	s.Route = or(s.Route, "/"+name)
	if s.Route != RouteNone && !routePath.MatchString(s.Route) {
		return fmt.Errorf("route %q: give a path such as /%s (letters, digits, . _ ~ - /) or none", s.Route, name)
	}
	if s.Port == 0 {
		s.Port = 80
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("port %d: give the Service port, 1 to 65535", s.Port)
	}
	return nil
}

// RouteNone as a service's route keeps it out of the Ingress.
const RouteNone = "none"

var (
	routePath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
	dnsName   = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
	hostName  = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
)

// defaults fills in the routes' defaults and checks them.
func (r *Routes) defaults(envs int) error {
	r.File = or(r.File, "routes/{env}/ingress.yaml")
	r.Name = or(r.Name, "paved-routes")
	f := path.Clean(r.File)
	switch {
	case path.IsAbs(f) || strings.HasPrefix(f, ".."):
		return fmt.Errorf("file %q: give a path relative to the repository root", r.File)
	case envs > 1 && !strings.Contains(r.File, "{env}"):
		return fmt.Errorf("file %q: put {env} in it: each environment has its own Ingress", r.File)
	case !dnsName.MatchString(r.Name):
		return fmt.Errorf("name %q: give a Kubernetes name (lower case, digits, . and -)", r.Name)
	case r.Host != "" && !hostName.MatchString(r.Host):
		return fmt.Errorf("host %q: give a DNS name such as shop.example.com", r.Host)
	case r.Class != "" && !dnsName.MatchString(r.Class):
		return fmt.Errorf("class %q: give an IngressClass name", r.Class)
	}
	return nil
}

// FileFor returns the Ingress file of env.
func (r Routes) FileFor(env string) string {
	return path.Clean(strings.ReplaceAll(r.File, "{env}", env))
}

// Dir returns the service's directory for env.
func (s *Service) Dir(env string) string {
	return path.Clean(strings.ReplaceAll(s.Path, "{env}", env))
}

// Service returns the named service, or a bad-input error naming the file.
func (c *Config) Service(name string) (*Service, error) {
	s, ok := c.Services[name]
	if !ok {
		return nil, failure.BadInputErr(fmt.Errorf("service %q is not in %s: add it under services", name, ConfigFile))
	}
	return s, nil
}

// EnvIndex returns the position of env in the promotion order, or a
// bad-input error naming the file.
func (c *Config) EnvIndex(env string) (int, error) {
	for i, e := range c.Environments {
		if e.Name == env {
			return i, nil
		}
	}
	names := make([]string, len(c.Environments))
	for i, e := range c.Environments {
		names[i] = e.Name
	}
	return 0, failure.BadInputErr(fmt.Errorf("environment %q is not in %s (%s): use one of them", env, ConfigFile, strings.Join(names, ", ")))
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
