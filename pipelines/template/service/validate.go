package service

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/paved-dev/paved/pipelines/vuln"
)

// serviceName is what a service may be called: a DNS label, as Kubernetes
// object names and GitOps paths need.
var serviceName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// validate checks the values that decoding cannot: required fields,
// enumerations, references and the fields that only one build kind reads.
func (c *Config) validate() error {
	switch {
	case c.APIVersion != APIVersion:
		return fmt.Errorf("apiVersion is %q: set it to %q", c.APIVersion, APIVersion)
	case c.Kind != Kind:
		return fmt.Errorf("kind is %q: set it to %q", c.Kind, Kind)
	case c.Name == "":
		return errors.New("name is required")
	case !serviceName.MatchString(c.Name):
		return fmt.Errorf("name %q is not a DNS label (lower-case letters, digits and '-', at most 63)", c.Name)
	}
	if err := c.Build.validate(); err != nil {
		return err
	}
	if c.Image.Repository == "" {
		return errors.New("image.repository is required (REGISTRY/PATH)")
	}
	if _, err := name.NewRepository(c.Image.Repository, name.StrictValidation); err != nil {
		return fmt.Errorf("image.repository %q is not a repository (REGISTRY/PATH, no tag or digest): %w", c.Image.Repository, err)
	}
	for _, t := range c.Image.Tags {
		if _, err := name.NewTag(c.Image.Repository+":"+t, name.StrictValidation); err != nil {
			return fmt.Errorf("image.tags: %q is not a tag", t)
		}
	}
	for _, s := range c.Scan.Severity {
		if !vuln.Severity(strings.ToUpper(s)).Known() {
			return fmt.Errorf("scan.severity: %q is not one of %s", s, strings.Join(vuln.Strings(vuln.AllSeverities), ", "))
		}
	}
	if c.GitOps.Service != "" && !serviceName.MatchString(c.GitOps.Service) {
		return fmt.Errorf("gitops.service %q is not a DNS label", c.GitOps.Service)
	}
	for i, env := range c.GitOps.Environments {
		if strings.TrimSpace(env) == "" || slices.Index(c.GitOps.Environments, env) != i {
			return fmt.Errorf("gitops.environments[%d]: %q is empty or repeated", i, env)
		}
	}
	for i, s := range c.Sources {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("sources[%d] is empty", i)
		}
	}
	return nil
}

func (b *BuildConfig) validate() error {
	switch b.Kind {
	case BuildGo:
		if b.Base == "" {
			return errors.New("build.base is required for a go build (the platform's base image, REPO:TAG or REPO@DIGEST)")
		}
		if _, err := name.ParseReference(b.Base); err != nil {
			return fmt.Errorf("build.base %q is not an image reference: %w", b.Base, err)
		}
		if err := onlyFor("dockerfile", map[string]bool{"dockerfile": b.Dockerfile != "", "buildArgs": len(b.BuildArgs) > 0, "target": b.Target != ""}); err != nil {
			return err
		}
	case BuildDockerfile:
		if err := onlyFor("go", map[string]bool{"main": b.Main != "", "base": b.Base != "", "extraFiles": len(b.ExtraFiles) > 0, "versionVar": b.VersionVar != "", "env": len(b.Env) > 0,
			"workdir": b.WorkDir != "", "user": b.User != "", "labels": len(b.Labels) > 0}); err != nil {
			return err
		}
	case "":
		return errors.New(`build.kind is required: "go" or "dockerfile"`)
	default:
		return fmt.Errorf(`build.kind is %q: use "go" or "dockerfile"`, b.Kind)
	}
	for _, p := range b.Platforms {
		pl, err := v1.ParsePlatform(p)
		if err != nil || pl.OS == "" || pl.Architecture == "" {
			return fmt.Errorf("build.platforms: %q is not OS/ARCH such as linux/amd64", p)
		}
	}
	for i, f := range b.ExtraFiles {
		if f.Src == "" {
			return fmt.Errorf("build.extraFiles[%d]: src is required", i)
		}
		if f.Dst != "" && !strings.HasPrefix(f.Dst, "/") {
			return fmt.Errorf("build.extraFiles[%d]: dst %q must be an absolute path in the image", i, f.Dst)
		}
	}
	for _, e := range b.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return fmt.Errorf("build.env: %q is not KEY=VALUE", e)
		}
	}
	return nil
}

// onlyFor refuses the fields that only a build of another kind reads.
func onlyFor(kind string, set map[string]bool) error {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if set[k] {
			return fmt.Errorf("build.%s is only read by a %s build: remove it or set build.kind: %s", k, kind, kind)
		}
	}
	return nil
}
