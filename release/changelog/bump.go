package changelog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Bump is the part of a version a release increments.
type Bump int

// Bumps, in increasing order.
const (
	Patch Bump = iota + 1
	Minor
	Major
)

func (b Bump) String() string {
	switch b {
	case Patch:
		return "patch"
	case Minor:
		return "minor"
	case Major:
		return "major"
	}
	return "none"
}

// bumps maps each change type to the bump it calls for.
var bumps = map[string]Bump{
	Breaking: Major, Removed: Major,
	Added: Minor, Changed: Minor, Deprecated: Minor,
	Fixed: Patch, Security: Patch,
}

// ErrNothingToRelease is returned (as bad input) when Unreleased holds no
// change notes.
var ErrNothingToRelease = errors.New("nothing to release: add change notes under Unreleased")

// Reason is the bump the change notes call for and why.
type Reason struct {
	Bump Bump
	// Groups are the non-empty groups that call for Bump, e.g. ["Added"].
	Groups []string
}

func (r Reason) String() string {
	return fmt.Sprintf("a %s release (Unreleased has %s)", r.Bump, strings.Join(r.Groups, ", "))
}

// BumpOf returns the bump the Unreleased notes call for: the largest bump of
// any non-empty group. An unknown group name, a list item outside any group,
// a group with text but no list items, and a "## " heading inside Unreleased
// that is not a release are bad input, so that a typo ("### Fixes") or a
// note the parser cannot see never picks a smaller version.
func (c *Changelog) BumpOf() (Reason, error) {
	i, err := c.unreleased()
	if err != nil {
		return Reason{}, err
	}
	if err := c.checkAfterUnreleased(i); err != nil {
		return Reason{}, err
	}
	u := &c.Sections[i]
	if u.Loose > 0 {
		return Reason{}, failure.BadInputErr(fmt.Errorf("reading Unreleased: %d change notes are not under a ### group: put them under %s", u.Loose, strings.Join(ChangeTypes, ", ")))
	}
	var r Reason
	for _, g := range u.Groups {
		b, ok := bumps[canonical(g.Name)]
		if !ok {
			return Reason{}, failure.BadInputErr(fmt.Errorf("reading Unreleased: unknown change type %q on line %d: use %s", g.Name, g.Line, strings.Join(ChangeTypes, ", ")))
		}
		if g.Entries == 0 && g.Text > 0 {
			return Reason{}, failure.BadInputErr(fmt.Errorf("reading Unreleased: group %q on line %d has text but no \"- \" items: write its notes as \"- \" items, the version is decided from them", g.Name, g.Line))
		}
		if g.Entries == 0 {
			continue
		}
		switch {
		case b > r.Bump:
			r = Reason{Bump: b, Groups: []string{canonical(g.Name)}}
		case b == r.Bump && !slices.Contains(r.Groups, canonical(g.Name)):
			r.Groups = append(r.Groups, canonical(g.Name))
		}
	}
	if r.Bump == 0 {
		return Reason{}, failure.BadInputErr(ErrNothingToRelease)
	}
	return r, nil
}

// canonical returns the known change type name matches case-insensitively,
// or name unchanged.
func canonical(name string) string {
	for _, t := range ChangeTypes {
		if strings.EqualFold(t, name) {
			return t
		}
	}
	return name
}

// Next returns the version after prev for bump, with the pre-1.0 rule: while
// prev's major is 0, a major bump moves the minor version. A nil prev (first
// release) gives v0.1.0.
func Next(prev *semver.Version, bump Bump) *semver.Version {
	if prev == nil {
		return semver.New(0, 1, 0, "", "")
	}
	switch {
	case bump == Major && prev.Major() == 0, bump == Minor:
		v := prev.IncMinor()
		return &v
	case bump == Major:
		v := prev.IncMajor()
		return &v
	default:
		v := prev.IncPatch()
		return &v
	}
}

// ParseVersion parses a release version, "vX.Y.Z" or "X.Y.Z". Pre-release
// versions and build metadata are refused: they name candidates, not
// releases.
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing version %q: not semver: want vMAJOR.MINOR.PATCH, e.g. v0.2.0", s))
	}
	if v.Prerelease() != "" || v.Metadata() != "" {
		return nil, failure.BadInputErr(fmt.Errorf("parsing version %q: a release version has no pre-release or build suffix: use v%d.%d.%d", s, v.Major(), v.Minor(), v.Patch()))
	}
	return v, nil
}

// NextVersion returns the version, "vX.Y.Z", that the Unreleased notes of
// the changelog data call for after the release previous ("vX.Y.Z" or
// "X.Y.Z"; "" for a first release, which gives v0.1.0). It is what
// `paved release publish` computes without a requested version, for tools
// that name a candidate of the next release (vX.Y.Z-rc.N). A previous that is
// not a release version, unreadable notes or no notes are bad input.
func NextVersion(data []byte, previous string) (string, error) {
	c, err := Parse(data)
	if err != nil {
		return "", err
	}
	var prev *semver.Version
	if previous != "" {
		if prev, err = ParseVersion(previous); err != nil {
			return "", err
		}
	}
	d, err := c.Decide(prev, "")
	if err != nil {
		return "", err
	}
	return d.Version, nil
}

// Decision is the version a release gets and why.
type Decision struct {
	// Version is the release version, "vX.Y.Z".
	Version string
	// Previous is the previous release, "" for a first release.
	Previous string
	// Reason is what the change notes call for.
	Reason Reason
}

// Decide computes the next version after prev (nil for a first release)
// from the Unreleased notes and checks requested ("" for none) against it.
// A requested version is accepted when it equals the computed one; for a
// first release, when it is any release version; and when it is v1.0.0 after
// a 0.x release, because leaving 0.x is a decision the notes cannot make. A
// disagreeing version is bad input that says what the notes call for.
func (c *Changelog) Decide(prev *semver.Version, requested string) (*Decision, error) {
	reason, err := c.BumpOf()
	if err != nil {
		return nil, err
	}
	next := Next(prev, reason.Bump)
	d := &Decision{Version: "v" + next.String(), Reason: reason}
	if prev != nil {
		d.Previous = "v" + prev.String()
	}
	if requested == "" {
		return d, nil
	}
	req, err := ParseVersion(requested)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Equal(next):
	case prev == nil:
		d.Version = "v" + req.String()
	case prev.Major() == 0 && req.Equal(semver.New(1, 0, 0, "", "")):
		d.Version = "v1.0.0"
	default:
		return nil, failure.BadInputErr(fmt.Errorf("checking version %q: the change notes call for %s after %s, that is %s: ask for %s or change the notes",
			requested, reason, d.Previous, d.Version, d.Version))
	}
	return d, nil
}
