package admission

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Option changes what Derive reads.
type Option func(*options)

type options struct {
	envs   []string
	scopes map[string]Scope
}

// WithEnvironments limits the rules to the named environments (default:
// every environment of paved-gitops.yaml).
func WithEnvironments(names ...string) Option {
	return func(o *options) { o.envs = append(o.envs, names...) }
}

// WithScope scopes env's policies to s instead of the format's default.
func WithScope(env string, s Scope) Option {
	return func(o *options) { o.scopes[env] = s }
}

// scope returns env's scope: the one given, or the default.
func (o *options) scope(env string) Scope { return o.scopes[env] }

var (
	// dnsLabel is a Kubernetes namespace name (RFC 1123 label).
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	// labelName is the name part of a label key, and a non-empty value.
	labelName = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
	// labelPrefix is a label key's DNS subdomain prefix.
	labelPrefix = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)
)

// check validates the options against the environments of cfg.
func (o *options) check(cfg *deploy.Config) error {
	for _, env := range o.envs {
		if _, err := cfg.EnvIndex(env); err != nil {
			return err
		}
	}
	for env, s := range o.scopes {
		if _, err := cfg.EnvIndex(env); err != nil {
			return err
		}
		if err := s.check(); err != nil {
			return failure.BadInputErr(fmt.Errorf("scope of environment %q: %w", env, err))
		}
	}
	return nil
}

// check validates namespace names and labels.
func (s Scope) check() error {
	n := 0
	for _, set := range []bool{len(s.Namespaces) > 0, len(s.Labels) > 0, s.Cluster} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("give namespaces, labels or the whole cluster, one of them")
	}
	for _, ns := range s.Namespaces {
		if !dnsLabel.MatchString(ns) {
			return fmt.Errorf("namespace %q: give a Kubernetes namespace name (lower case letters, digits and -)", ns)
		}
	}
	for k, v := range s.Labels {
		if !labelKey(k) {
			return fmt.Errorf("label key %q: give a Kubernetes label key such as paved.dev/environment", k)
		}
		if v != "" && !labelName.MatchString(v) {
			return fmt.Errorf("label %s value %q: give up to 63 letters, digits, - _ or .", k, v)
		}
	}
	return nil
}

// labelKey reports whether k is a valid label key ([prefix/]name).
func labelKey(k string) bool {
	prefix, nm, ok := strings.Cut(k, "/")
	if !ok {
		return labelName.MatchString(k)
	}
	return labelPrefix.MatchString(prefix) && labelName.MatchString(nm)
}
