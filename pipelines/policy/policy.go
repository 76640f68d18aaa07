// Package policy is the platform's base-image policy: which base image
// repositories services may build on, which tags or digests are denied (with
// a reason, a date from which the denial applies and a replacement), and
// whether bases must be pinned by digest.
//
// A policy is loaded once per run (Load) and asked about every base image a
// build uses (Check), after the base has been resolved from tag to digest.
package policy

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/paved-dev/paved/pipelines/failure"
)

// APIVersion is the only policy schema version this paved understands.
const APIVersion = "paved.dev/v1"

// Policy is a platform policy file (policy.yaml).
type Policy struct {
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	Kind       string `yaml:"kind" json:"kind"`
	Bases      Bases  `yaml:"bases" json:"bases"`
	// Paved is the minimum paved version and its deprecations.
	Paved Paved `yaml:"paved" json:"paved,omitempty"`
}

// Bases is the base-image part of the policy.
type Bases struct {
	// Allowed lists repository globs (path.Match syntax, matched against the
	// full repository name such as "registry.example.com/platform/python-base").
	// Empty allows every repository.
	Allowed []string `yaml:"allowed" json:"allowed,omitempty"`
	// Denied lists tags or digests that must not be built on.
	Denied []Denial `yaml:"denied" json:"denied,omitempty"`
	// RequireDigest refuses a base written without a digest (FROM repo:tag).
	RequireDigest bool `yaml:"requireDigest" json:"requireDigest,omitempty"`
}

// Denial denies one image: a repository with a tag ("repo:1.0"), a digest
// ("sha256:…" or "repo@sha256:…"), or a whole repository glob ("repo:*").
type Denial struct {
	Image       string `yaml:"image" json:"image"`
	Reason      string `yaml:"reason" json:"reason"`
	From        string `yaml:"from" json:"from,omitempty"`
	Replacement string `yaml:"replacement" json:"replacement,omitempty"`
}

// Base is a base image as a build uses it: the reference as written (a tag or
// a digest reference) and the digest it resolved to at build time.
type Base struct {
	Ref    name.Reference
	Digest name.Digest
}

// Decision is the outcome of a check that did not fail.
type Decision struct {
	// Warnings are denials whose date has not come yet; the build goes on.
	Warnings []string
}

// Check decides whether base may be built on at time now. A violation is
// returned as a failure.Policy error that names the base, the reason and the
// replacement; denials dated after now only warn.
func (p *Policy) Check(base Base, now time.Time) (Decision, error) {
	var d Decision
	if p == nil {
		return d, nil
	}
	repo := base.Digest.Context().Name()
	if p.Bases.RequireDigest {
		if _, ok := base.Ref.(name.Digest); !ok {
			return d, failure.PolicyErr(fmt.Errorf("base image %q is not pinned by digest and the policy requires digests: write it as %s", base.Ref.String(), base.Digest.String()))
		}
	}
	if !p.allowed(repo) {
		return d, failure.PolicyErr(fmt.Errorf("base image %q is not from an allowed repository (allowed: %s)", base.Ref.String(), strings.Join(p.Bases.Allowed, ", ")))
	}
	for _, den := range p.Bases.Denied {
		if !den.matches(base) {
			continue
		}
		from, _ := den.Since()
		msg := fmt.Sprintf("base image %q (%s) is denied: %s", base.Ref.String(), base.Digest.DigestStr(), den.Reason)
		if den.Replacement != "" {
			msg += "; use " + den.Replacement + " instead"
		}
		if !from.IsZero() && now.Before(from) {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s (denied from %s)", msg, den.From))
			continue
		}
		return d, failure.PolicyErr(fmt.Errorf("%s", msg))
	}
	return d, nil
}

func (p *Policy) allowed(repo string) bool {
	if len(p.Bases.Allowed) == 0 {
		return true
	}
	for _, g := range p.Bases.Allowed {
		if ok, _ := path.Match(g, repo); ok {
			return true
		}
		// "registry/platform/*" also allows deeper paths such as
		// "registry/platform/team/base".
		if strings.HasSuffix(g, "/*") && strings.HasPrefix(repo, strings.TrimSuffix(g, "*")) {
			return true
		}
	}
	return false
}

// Since returns the time from which the denial applies: its From date
// (midnight UTC) or RFC 3339 time; zero means always.
func (den Denial) Since() (time.Time, error) {
	if den.From == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, den.From); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, den.From)
}

// Target is what a denial names, parsed from its image: a digest alone
// ("sha256:…"), a repository and digest ("repo@sha256:…"), a repository
// and tag ("repo:1.0"), or a whole repository ("repo" or "repo:*").
type Target struct {
	// Repository is the fully qualified repository name
	// (name.Repository.Name()); empty for a digest alone.
	Repository string
	// Digest is "sha256:…" when the denial names one.
	Digest string
	// Tag is the tag as written; empty when every tag is denied.
	Tag string
}

// Target parses the denial's image. A repository that does not parse is an
// error naming the image.
func (den Denial) Target() (Target, error) {
	img := strings.TrimSpace(den.Image)
	if strings.HasPrefix(img, "sha256:") {
		return Target{Digest: img}, nil
	}
	repoPart, t := img, Target{}
	if i := strings.Index(img, "@"); i >= 0 {
		repoPart, t.Digest = img[:i], img[i+1:]
	} else if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		repoPart, t.Tag = img[:i], img[i+1:]
	}
	if t.Tag == "*" {
		t.Tag = ""
	}
	r, err := name.NewRepository(repoPart)
	if err != nil {
		return Target{}, fmt.Errorf("parsing denied image %q: %w", den.Image, err)
	}
	t.Repository = r.Name()
	return t, nil
}

// matches reports whether the denial names base.
func (den Denial) matches(base Base) bool {
	t, err := den.Target()
	if err != nil {
		return false
	}
	switch {
	case t.Repository != "" && t.Repository != base.Digest.Context().Name():
		return false
	case t.Digest != "":
		return base.Digest.DigestStr() == t.Digest
	case t.Tag == "":
		return true
	}
	tag, ok := base.Ref.(name.Tag)
	return ok && tag.TagStr() == t.Tag
}
