package vuln

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/yamldoc"
)

// DefaultIgnoreFile is the ignore file's name in a service's repository.
const DefaultIgnoreFile = ".paved-ignore.yaml"

// IgnoreFile is a parsed .paved-ignore.yaml:
//
//	ignores:
//	  - id: CVE-2023-45853          # required: vulnerability id
//	    package: zlib1g             # optional: only this package
//	    reason: minizip is not built in Debian's zlib1g   # required
//	    expires: 2026-06-30         # required: YYYY-MM-DD, last day it applies (UTC)
type IgnoreFile struct {
	// Path is where the file was read from, for messages.
	Path    string        `yaml:"-"`
	Ignores []IgnoreEntry `yaml:"ignores"`
}

// IgnoreEntry suppresses one vulnerability id (in one package, if Package
// is set) until the end of its Expires day, UTC.
type IgnoreEntry struct {
	ID      string `yaml:"id" json:"id"`
	Package string `yaml:"package,omitempty" json:"package,omitempty"`
	Reason  string `yaml:"reason" json:"reason"`
	Expires string `yaml:"expires" json:"expires"`
	expiry  time.Time
}

// ExpiresAt is the first instant the entry no longer applies: the day
// after Expires, 00:00 UTC.
func (e IgnoreEntry) ExpiresAt() time.Time { return e.expiry }

func (e IgnoreEntry) matches(f Finding) bool {
	return strings.EqualFold(e.ID, f.ID) && (e.Package == "" || e.Package == f.Package)
}

// IgnoreType is the ignore file's kind of file: it has no apiVersion or
// kind.
var IgnoreType = yamldoc.Type{Noun: "ignore file"}

// LoadIgnoreFile reads and validates an ignore file. Any problem is bad
// input naming the file and the entry.
func LoadIgnoreFile(path string) (*IgnoreFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading ignore file %q: %w", path, err))
	}
	return ParseIgnoreFile(path, data)
}

// ParseIgnoreFile parses and validates the content of an ignore file; path
// is only used in messages. It decodes strictly (see yamldoc.Decode):
// unknown keys (with "did you mean"), wrong types, a key given twice,
// another kind of paved file, a missing id, reason or expires, and a date
// that is not YYYY-MM-DD are bad input, on one line.
func ParseIgnoreFile(path string, data []byte) (*IgnoreFile, error) {
	bad := func(format string, args ...any) error {
		return failure.BadInputErr(fmt.Errorf("parsing ignore file %q: "+format, append([]any{path}, args...)...))
	}
	f := &IgnoreFile{Path: path}
	if err := yamldoc.Decode(data, f, IgnoreType); err != nil {
		return nil, bad("%w", err)
	}
	for i := range f.Ignores {
		e := &f.Ignores[i]
		name := fmt.Sprintf("entry %d", i+1)
		if e.ID != "" {
			name += fmt.Sprintf(" (%s)", e.ID)
		}
		switch {
		case strings.TrimSpace(e.ID) == "":
			return nil, bad("%s: id is required", name)
		case strings.TrimSpace(e.Reason) == "":
			return nil, bad("%s: reason is required: say why the finding does not apply", name)
		case strings.TrimSpace(e.Expires) == "":
			return nil, bad("%s: expires is required (YYYY-MM-DD)", name)
		}
		day, err := time.Parse(time.DateOnly, strings.TrimSpace(e.Expires))
		if err != nil {
			return nil, bad("%s: expires %q is not a date (YYYY-MM-DD)", name, e.Expires)
		}
		e.expiry = day.AddDate(0, 0, 1)
	}
	return f, nil
}
