// Package rewrite moves the pins fleet/pin finds to a campaign's target: a
// paved version, a base image or a Terraform module ref. It edits only the
// pinned text on the line pin reports (for a Dockerfile FROM ${ARG}, the
// ARG default that names the image); every other byte of the file is kept.
package rewrite

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

// Target is what a campaign moves pins to.
type Target struct {
	// Kind is pin.Paved, pin.Base or pin.Module.
	Kind pin.Kind `yaml:"kind" json:"kind"`
	// From selects the pins to move: for a base, the old image
	// REPO[:TAG][@DIGEST] (REPO may be the end of the repository path, as
	// in python-base:1.0); for a Terraform module, its source without
	// ?ref= (or the end of it). Empty for paved: every paved pin moves.
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	// To is the new version (paved: vX.Y.Z), image (base:
	// REPO:TAG@sha256:…) or ref (Terraform).
	To string `yaml:"to" json:"to"`
}

// Errors wrapped by File's per-pin failures.
var (
	// ErrNotSemver is a paved pin that is not a release version (a branch,
	// a bare commit): the campaign cannot tell what it moves from.
	ErrNotSemver = errors.New("the pin is not a release version")
	// ErrCommitPinned is a pin by commit SHA: the new version's commit is
	// not known offline.
	ErrCommitPinned = errors.New("the pin is a commit SHA")
	// ErrNotFound is a pin whose text could not be found on its line.
	ErrNotFound = errors.New("the pinned text is not where the pin says")
)

// Validate checks a target as given by a user.
func (t Target) Validate() error {
	bad := func(format string, a ...any) error { return failure.BadInputErr(fmt.Errorf(format, a...)) }
	switch t.Kind {
	case pin.Paved:
		if !pin.IsSemver(t.To) {
			return bad("paved version %q is not a release version: use vMAJOR.MINOR.PATCH", t.To)
		}
	case pin.Base:
		if t.From == "" || t.To == "" || strings.ContainsAny(t.From+t.To, " \t\n\"'") {
			return bad("base %q=%q: use OLD=NEW, e.g. python-base:1.0=registry.example.com/python-base:1.1@sha256:…", t.From, t.To)
		}
		if _, _, d := pin.SplitImage(t.To); !strings.HasPrefix(d, "sha256:") {
			return bad("new base %q has no digest: write it as REPO:TAG@sha256:…", t.To)
		}
	case pin.Module:
		if t.From == "" || t.To == "" || strings.ContainsAny(t.From+t.To, " \t\n\"'&?") {
			return bad("terraform %q=%q: use SOURCE=REF, e.g. git.example.com/modules/db.git=v3.2.0", t.From, t.To)
		}
	default:
		return bad("target kind %q: use paved, base or terraform", t.Kind)
	}
	return nil
}

// Key identifies what a target moves, for refusing two campaigns on it:
// the kind and the pins it selects.
func (t Target) Key() string { return string(t.Kind) + ":" + t.From }

// Overlaps reports whether t and o may move the same pins, so two
// campaigns must not run on them at once: any two paved targets; bases
// where one names the other (python-base:1.0 and
// registry.example.com/platform/python-base:1.0, or python-base and
// python-base:1.0); modules whose sources are equal or one ends the other.
func (t Target) Overlaps(o Target) bool {
	if t.Kind != o.Kind {
		return false
	}
	switch t.Kind {
	case pin.Base:
		return MatchImage(t.From, o.From) || MatchImage(o.From, t.From)
	case pin.Module:
		return sourceEnds(t.From, o.From) || sourceEnds(o.From, t.From)
	}
	return true
}

// sourceEnds reports whether module source src is end, or ends with it
// after a / or :.
func sourceEnds(src, end string) bool {
	if src == end {
		return true
	}
	return end != "" && len(src) > len(end) && strings.HasSuffix(src, end) && strings.ContainsRune("/:", rune(src[len(src)-len(end)-1]))
}

// Matches reports whether the target moves p.
func (t Target) Matches(p pin.Pin) bool {
	if p.Kind != t.Kind {
		return false
	}
	switch t.Kind {
	case pin.Base:
		return MatchImage(t.From, p.Image())
	case pin.Module:
		return sourceEnds(p.Ref, t.From)
	}
	return true
}

// Current reports whether p is already at the target or ahead of it: a
// paved or module pin whose semantic version is at or above the target's
// is never moved, so a campaign never downgrades a service.
func (t Target) Current(p pin.Pin) bool {
	if t.Kind == pin.Base {
		return p.Image() == t.To
	}
	return AtLeast(p.Version, t.To)
}

// AtLeast reports whether version v is to or above it: compared as
// semantic versions (with or without a leading v) when both are, else
// only an equal text is.
func AtLeast(v, to string) bool {
	a, errA := semver.StrictNewVersion(strings.TrimPrefix(v, "v"))
	b, errB := semver.StrictNewVersion(strings.TrimPrefix(to, "v"))
	if errA != nil || errB != nil {
		return v == to
	}
	return !a.LessThan(b)
}

// MatchImage reports whether image is the base q: the same repository, or
// one ending in /q's; the same tag when q has one; the same digest when q
// has one.
func MatchImage(q, image string) bool {
	qRepo, qTag, qDigest := pin.SplitImage(q)
	repo, tag, d := pin.SplitImage(image)
	if repo != qRepo && !strings.HasSuffix(repo, "/"+qRepo) {
		return false
	}
	return (qTag == "" || qTag == tag) && (qDigest == "" || qDigest == d)
}

// Edit is one moved pin.
type Edit struct {
	File string `yaml:"file" json:"file"`
	// Line is 1-based: the line that changed.
	Line int    `yaml:"line" json:"line"`
	Old  string `yaml:"old" json:"old"`
	New  string `yaml:"new" json:"new"`
}

// File moves the pins of the file at p (contents data) that t selects and
// returns the new contents with the edits, in line order. Pins already at
// the target are left alone; a file without such pins comes back as it
// is. A pin that cannot be moved (not semver, pinned by commit) fails the
// whole file, as a bad-input error naming file and line.
func File(p string, data []byte, t Target) ([]byte, []Edit, error) {
	pins, err := pin.Scan(p, data)
	if err != nil {
		return nil, nil, err
	}
	lines := splitLines(data)
	var edits []Edit
	for _, pn := range pins {
		if !t.Matches(pn) || t.Current(pn) {
			continue
		}
		e, err := move(lines, pn, t)
		if err != nil {
			return nil, nil, failure.BadInputErr(fmt.Errorf("moving the %s pin in %s line %d: %w", pn.Kind, p, pn.Line, err))
		}
		if e != nil {
			e.File = p
			edits = append(edits, *e)
		}
	}
	if len(edits) == 0 {
		return data, nil, nil
	}
	return []byte(strings.Join(lines, "")), edits, nil
}

// splitLines splits data after every newline, so joining them gives data
// back byte for byte.
func splitLines(data []byte) []string {
	return strings.SplitAfter(string(data), "\n")
}
