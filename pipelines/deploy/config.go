package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// ConfigFile is the name of the GitOps repository's configuration, at its root.
const ConfigFile = "paved-gitops.yaml"

// Layouts a service's manifests can have.
const (
	LayoutHelm      = "helm"
	LayoutKustomize = "kustomize"
	LayoutManifests = "manifests"
)

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
	// Approval is "required" when a promotion into this environment must
	// record who approved it.
	Approval string `yaml:"approval,omitempty"`
	Gates    Gate   `yaml:"gates,omitempty"`
}

// Gate lists the checks an image must pass to enter an environment.
type Gate struct {
	// SignatureKey is the public key the image signature must verify with;
	// empty means no signature check. Without "://" it is a file of the
	// GitOps repository; with it, a key reference the verifier resolves
	// (env://VAR, awskms://...).
	SignatureKey string `yaml:"signature_key,omitempty"`
	// VulnerabilityScan requires a vulnerability-scan attestation, signed
	// with SignatureKey, whose newest verdict passed.
	VulnerabilityScan bool `yaml:"vulnerability_scan,omitempty"`
	// MaxScanAge bounds the age of that newest scan: a Go duration ("36h")
	// or whole days or weeks ("7d", "2w"); empty is no bound. It implies
	// VulnerabilityScan.
	MaxScanAge string `yaml:"max_scan_age,omitempty"`
	// SignatureKeyData is the key's contents when SignatureKey names a file
	// of the GitOps repository; filled in by Promote and Switch, never read
	// from YAML.
	SignatureKeyData []byte `yaml:"-"`
}

// Empty reports whether the gate checks nothing.
func (g Gate) Empty() bool { return g.SignatureKey == "" && !g.VulnerabilityScan && g.MaxScanAge == "" }

// KeyInRepository reports whether SignatureKey names a file of the GitOps
// repository rather than a key reference such as env://VAR or a KMS URI.
func (g Gate) KeyInRepository() bool {
	return g.SignatureKey != "" && !strings.Contains(g.SignatureKey, "://")
}

// ScanAge returns MaxScanAge as a duration; 0 when it is empty.
func (g Gate) ScanAge() (time.Duration, error) {
	s := strings.TrimSpace(g.MaxScanAge)
	if s == "" {
		return 0, nil
	}
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		unit = 7 * 24 * time.Hour
	}
	var d time.Duration
	var err error
	if unit > 0 {
		var n int
		n, err = strconv.Atoi(s[:len(s)-1])
		if n > 36500 {
			err = errors.New("too long")
		}
		d = time.Duration(n) * unit
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("max_scan_age %q: use a positive duration such as 7d, 2w or 36h", g.MaxScanAge)
	}
	return d, nil
}

// check validates the gate's settings.
func (g Gate) check() error {
	if _, err := g.ScanAge(); err != nil {
		return err
	}
	if g.SignatureKey == "" && (g.VulnerabilityScan || g.MaxScanAge != "") {
		return errors.New("vulnerability_scan and max_scan_age need signature_key: the attestation is verified with it")
	}
	if g.KeyInRepository() && (path.IsAbs(g.SignatureKey) || strings.HasPrefix(path.Clean(g.SignatureKey), "..")) {
		return fmt.Errorf("signature_key %q: give a file of the repository (relative path) or a key URI such as env://VAR", g.SignatureKey)
	}
	return nil
}

// Service says where a service's manifests live and how to edit them.
type Service struct {
	// Layout is helm, kustomize or manifests.
	Layout string `yaml:"layout"`
	// Path is the directory of the service's files, relative to the
	// repository root; "{env}" is replaced by the environment name.
	Path string `yaml:"path"`
	// Image is the image repository the service runs (REGISTRY/NAME): the
	// kustomize images entry or container images to edit are found by it.
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

// HelmLayout names the values file and the dotted key paths to set.
type HelmLayout struct {
	// File is the values file in the service's path (default values.yaml;
	// "{env}" is replaced by the environment name).
	File string `yaml:"file,omitempty"`
	// Repository, Tag and Digest are dotted key paths (default image.repository,
	// image.tag and image.digest). Tag receives the version, Digest the
	// sha256:... digest; an empty Tag path leaves the tag alone.
	Repository string `yaml:"repository,omitempty"`
	Tag        string `yaml:"tag,omitempty"`
	Digest     string `yaml:"digest,omitempty"`
}

// KustomizeLayout names the kustomization file and its images entry.
type KustomizeLayout struct {
	// File is the kustomization in the service's path (default kustomization.yaml).
	File string `yaml:"file,omitempty"`
	// Name is the images[].name entry to edit (default: the service's image).
	Name string `yaml:"name,omitempty"`
}

// ManifestsLayout lists plain Kubernetes manifests.
type ManifestsLayout struct {
	// Files in the service's path whose container images are edited
	// (default: every .yaml and .yml file there).
	Files []string `yaml:"files,omitempty"`
}

// LoadConfig reads and validates paved-gitops.yaml from the root of fsys.
func LoadConfig(fsys billy.Filesystem) (*Config, error) {
	data, err := readFile(fsys, ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading %s: the GitOps repository has none: add it at the root", ConfigFile))
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ConfigFile, err)
	}
	return ParseConfig(data)
}

// ParseConfig parses and validates the contents of paved-gitops.yaml.
func ParseConfig(data []byte) (*Config, error) {
	if _, err := yamlpatch.Parse(ConfigFile, data); err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing %s: %w", ConfigFile, err))
	}
	if err := c.validate(); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("checking %s: %w", ConfigFile, err))
	}
	return &c, nil
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
		if e.Approval != "" && e.Approval != "required" {
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
	for name, s := range c.Services {
		if s == nil || name == "" || strings.ContainsAny(name, "/ ") {
			return fmt.Errorf("service %q: give a name without / or spaces, and its layout and path", name)
		}
		if err := s.defaults(name); err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
	}
	return nil
}

// defaults fills in defaults and checks the service's settings.
func (s *Service) defaults(name string) error {
	switch s.Layout {
	case LayoutHelm:
		s.Helm.File = or(s.Helm.File, "values.yaml")
		s.Helm.Repository = or(s.Helm.Repository, "image.repository")
		s.Helm.Tag = or(s.Helm.Tag, "image.tag")
		s.Helm.Digest = or(s.Helm.Digest, "image.digest")
	case LayoutKustomize:
		s.Kustomize.File = or(s.Kustomize.File, "kustomization.yaml")
		s.Kustomize.Name = or(s.Kustomize.Name, s.Image)
		if s.Kustomize.Name == "" {
			return errors.New("kustomize layout needs image (or kustomize.name) to find its images entry")
		}
	case LayoutManifests:
		if s.Image == "" && !s.BlueGreen {
			return errors.New("manifests layout needs image to find the containers to edit")
		}
	default:
		return fmt.Errorf("layout %q: use helm, kustomize or manifests", s.Layout)
	}
	if s.BlueGreen && s.Layout != LayoutManifests {
		// A Helm value or a Kustomize images entry sets the image of both
		// slots at once: the slots must be separate manifests.
		return fmt.Errorf("blue_green needs layout: manifests (Deployments %s-blue and %s-green and a Service %s), not %s", name, name, name, s.Layout)
	}
	if s.Path == "" || path.IsAbs(s.Path) || strings.HasPrefix(path.Clean(s.Path), "..") {
		return fmt.Errorf("path %q: give a directory relative to the repository root", s.Path)
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
