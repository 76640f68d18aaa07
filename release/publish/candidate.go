package publish

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// VerdictPass is the verdict of a candidate that may be published.
const VerdictPass = "pass"

// ReportSchema is the schemaVersion of the candidate reports publish reads.
const ReportSchema = "paved.dev/release-candidate-report/v1"

// AppsFile is the reference apps file, at the repository root, whose hash a
// candidate report records.
const AppsFile = "release/apps.yaml"

// Candidate is what publish reads from the report of
// `paved release candidate`: only these fields, so that the report may grow
// without publish changing.
type Candidate struct {
	// Version is the candidate's version, e.g. "v0.2.0-rc.1".
	Version string `json:"version"`
	// Commit is the full SHA of the commit the candidate was built from.
	Commit string `json:"commit"`
	// Verdict is "pass" or "fail".
	Verdict string `json:"verdict"`
	// Dirty, when true, says the candidate was built from a work tree with
	// uncommitted changes, so Commit does not name what was tested.
	Dirty bool `json:"dirty"`
	// SchemaVersion names the report format, ReportSchema.
	SchemaVersion string `json:"schemaVersion"`
	// Partial, when true, says not every app of the apps file was run.
	Partial *bool `json:"partial"`
	// AppsSHA256 and ChangelogSHA256 are the sha256 (hex) of the apps file
	// and of CHANGELOG.md the candidate was run with.
	AppsSHA256      string `json:"appsSHA256"`
	ChangelogSHA256 string `json:"changelogSHA256"`
	// Baseline is the previous release the candidate was compared with,
	// nil for a first release (JSON null).
	Baseline *Baseline `json:"baseline"`
	// hasBaseline is whether the report has the baseline field at all.
	hasBaseline bool
}

// Baseline is the previous release a candidate was compared with.
type Baseline struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// ErrNoCandidateReport is returned (wrapped, as bad input) when no
// candidate report is given.
var ErrNoCandidateReport = errors.New("no candidate report")

// ReadCandidate reads a candidate report. A missing or unreadable report,
// or one without the three fields, is bad input.
func ReadCandidate(path string) (*Candidate, error) {
	if path == "" {
		return nil, failure.BadInputErr(fmt.Errorf("%w: give the JSON report of 'paved release candidate'", ErrNoCandidateReport))
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading candidate report %q: it does not exist: run paved release candidate first and keep its JSON report", path))
	}
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading candidate report %q: %w", path, err))
	}
	var c Candidate
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing candidate report %q: %w", path, err))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing candidate report %q: %w", path, err))
	}
	_, c.hasBaseline = fields["baseline"]
	var missing []string
	for field, v := range map[string]string{"version": c.Version, "commit": c.Commit, "verdict": c.Verdict} {
		if v == "" {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, failure.BadInputErr(fmt.Errorf("parsing candidate report %q: no %s: is it the JSON report of paved release candidate?", path, strings.Join(missing, ", ")))
	}
	if err := c.checkSchema(); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading candidate report %q: %w", path, err))
	}
	return &c, nil
}

// checkSchema refuses a report of another format, or one written before
// reports recorded what publish checks.
func (c *Candidate) checkSchema() error {
	if c.SchemaVersion != ReportSchema {
		return fmt.Errorf("schemaVersion %q, publish reads %q: run paved release candidate again", c.SchemaVersion, ReportSchema)
	}
	var missing []string
	for _, m := range []struct {
		field string
		ok    bool
	}{
		{"partial", c.Partial != nil}, {"appsSHA256", c.AppsSHA256 != ""},
		{"changelogSHA256", c.ChangelogSHA256 != ""}, {"baseline", c.hasBaseline},
	} {
		if !m.ok {
			missing = append(missing, m.field)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no %s: it was written by an older paved; run paved release candidate again", strings.Join(missing, ", "))
	}
	if c.Baseline != nil && c.Baseline.Version == "" {
		return errors.New("a baseline without a version: run paved release candidate again")
	}
	return nil
}

// checkCovers refuses a candidate that ran only some apps (policy: it did
// not test the release) or ran with another apps file or changelog than
// HEAD's (bad input), given the sha256 of HEAD's files.
func (c *Candidate) checkCovers(appsSHA256, changelogSHA256 string) error {
	if *c.Partial {
		return failure.PolicyErr(fmt.Errorf("the candidate %s ran only some apps of %s (a partial report): run paved release candidate again with every app", c.Version, AppsFile))
	}
	for _, f := range []struct{ file, report, head string }{
		{AppsFile, c.AppsSHA256, appsSHA256}, {ChangelogFile, c.ChangelogSHA256, changelogSHA256},
	} {
		if !strings.EqualFold(f.report, f.head) {
			return failure.BadInputErr(fmt.Errorf("the candidate %s ran with another %s (sha256 %s) than HEAD's (%s): run paved release candidate again", c.Version, f.file, short(f.report), short(f.head)))
		}
	}
	return nil
}

// checkBaseline refuses a candidate compared with another previous release
// than prev (nil for a first release, which must have no baseline).
func (c *Candidate) checkBaseline(prev *semver.Version) error {
	switch {
	case prev == nil && c.Baseline == nil:
		return nil
	case prev == nil:
		return failure.BadInputErr(fmt.Errorf("the candidate %s was compared with %s, but HEAD's history has no release tag: fetch the tags (git fetch --tags) or run paved release candidate again", c.Version, c.Baseline.Version))
	case c.Baseline == nil:
		return failure.BadInputErr(fmt.Errorf("the candidate %s was compared with no previous release, but the previous release is v%s: run paved release candidate again with the full history and tags", c.Version, prev))
	}
	if v, err := semver.NewVersion(c.Baseline.Version); err != nil || !v.Equal(prev) {
		return failure.BadInputErr(fmt.Errorf("the candidate %s was compared with %s, but the previous release is v%s: run paved release candidate again", c.Version, c.Baseline.Version, prev))
	}
	return nil
}

// check refuses a candidate that did not pass (policy) or that was built
// from another commit than head (bad input).
func (c *Candidate) check(head string) error {
	if c.Verdict != VerdictPass {
		return failure.PolicyErr(fmt.Errorf("the candidate %s did not pass (verdict %q): publish only a candidate whose report says %q; fix or quarantine what its report names and run paved release candidate again",
			c.Version, c.Verdict, VerdictPass))
	}
	if c.Dirty {
		return failure.BadInputErr(fmt.Errorf("the candidate %s was built from a work tree with uncommitted changes, so %s is not what it tested: run paved release candidate again on a clean tree", c.Version, short(c.Commit)))
	}
	if !strings.EqualFold(c.Commit, head) {
		return failure.BadInputErr(fmt.Errorf("the candidate was built from %s, HEAD is %s: run paved release candidate again", short(c.Commit), short(head)))
	}
	return nil
}

// checkVersion refuses to publish version when the candidate was a
// candidate of another version (v0.2.0-rc.1 is a candidate of v0.2.0).
func (c *Candidate) checkVersion(version string) error {
	v, err := semver.NewVersion(c.Version)
	if err != nil {
		return failure.BadInputErr(fmt.Errorf("parsing the candidate's version %q: not semver", c.Version))
	}
	core := fmt.Sprintf("v%d.%d.%d", v.Major(), v.Minor(), v.Patch())
	if core != version {
		return failure.BadInputErr(fmt.Errorf("the candidate %s is a candidate of %s, not %s: make a candidate of %s (%s-rc.N) first",
			c.Version, core, version, version, version))
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
