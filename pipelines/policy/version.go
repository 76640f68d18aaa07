package policy

import (
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// DevVersion is the version of a paved built from source without a
// stamped version; version rules only warn about it.
const DevVersion = "v0.0.0-dev"

// Paved is the part of the policy about paved itself: which versions may
// run the platform's pipelines.
//
//	paved:
//	  minVersion: v1.4.0          # older fails now
//	  deprecations:
//	    - below: v1.6.0           # older warns until after, then fails
//	      after: 2027-03-31       # YYYY-MM-DD (UTC) or RFC 3339
//	      message: v1.6 attests the run record; bump the pin with paved fleet
type Paved struct {
	// MinVersion is the oldest paved version allowed (semver, "v" optional).
	MinVersion string `yaml:"minVersion" json:"minVersion,omitempty"`
	// Deprecations retire older versions on a date.
	Deprecations []Deprecation `yaml:"deprecations" json:"deprecations,omitempty"`
}

// Deprecation retires the versions below Below: they warn before After
// and fail from After on.
type Deprecation struct {
	Below   string `yaml:"below" json:"below"`
	After   string `yaml:"after" json:"after"`
	Message string `yaml:"message" json:"message,omitempty"`
}

// UnmarshalYAML decodes and validates the paved section (Parse has
// checked its keys).
func (p *Paved) UnmarshalYAML(node *yaml.Node) error {
	type plain Paved
	if err := node.Decode((*plain)(p)); err != nil {
		return err
	}
	return p.validate()
}

func (p *Paved) validate() error {
	if p.MinVersion != "" {
		if _, err := semver.NewVersion(p.MinVersion); err != nil {
			return fmt.Errorf("paved.minVersion %q is not a semantic version (vX.Y.Z)", p.MinVersion)
		}
	}
	for i, d := range p.Deprecations {
		if _, err := semver.NewVersion(d.Below); err != nil {
			return fmt.Errorf("paved.deprecations[%d]: below %q is not a semantic version (vX.Y.Z)", i, d.Below)
		}
		if _, err := d.after(); err != nil || d.After == "" {
			return fmt.Errorf("paved.deprecations[%d]: after %q is not a date (YYYY-MM-DD) or RFC 3339 time", i, d.After)
		}
	}
	return nil
}

// CheckVersion decides whether paved at version current may run at time
// now. Below MinVersion, or below a deprecation whose date has come, it
// returns a failure.Policy error naming the version to move to; below a
// deprecation whose date is still ahead it returns a warning. A development
// build (DevVersion, or a version that is not semver) only warns.
func (p *Policy) CheckVersion(current string, now time.Time) (Decision, error) {
	var d Decision
	if p == nil || (p.Paved.MinVersion == "" && len(p.Paved.Deprecations) == 0) {
		return d, nil
	}
	if err := p.Paved.validate(); err != nil {
		return d, failure.BadInputErr(fmt.Errorf("reading policy: %w", err))
	}
	cur, err := semver.NewVersion(current)
	if err != nil || current == DevVersion {
		d.Warnings = append(d.Warnings, fmt.Sprintf("paved %s is a development build: the policy's version rules are not enforced", current))
		return d, nil
	}
	if p.Paved.MinVersion != "" {
		min, _ := semver.NewVersion(p.Paved.MinVersion)
		if cur.LessThan(min) {
			return d, failure.PolicyErr(fmt.Errorf("paved %s is older than the platform's minimum %s: move to paved %s or later (bump the pinned version in the CI wrapper)", current, p.Paved.MinVersion, p.Paved.MinVersion))
		}
	}
	for _, dep := range p.Paved.Deprecations {
		below, _ := semver.NewVersion(dep.Below)
		if !cur.LessThan(below) {
			continue
		}
		after, _ := dep.after()
		msg := fmt.Sprintf("paved %s is deprecated: move to paved %s or later", current, dep.Below)
		if dep.Message != "" {
			msg += " (" + dep.Message + ")"
		}
		if now.Before(after) {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s; it stops working on %s", msg, dep.After))
			continue
		}
		return d, failure.PolicyErr(fmt.Errorf("%s; it stopped working on %s", msg, dep.After))
	}
	return d, nil
}

// after parses the date from which a deprecation fails.
func (d Deprecation) after() (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, d.After); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, d.After)
}
