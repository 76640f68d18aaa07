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
}

// ReadCandidate reads a candidate report. A missing or unreadable report,
// or one without the three fields, is bad input.
func ReadCandidate(path string) (*Candidate, error) {
	if path == "" {
		return nil, failure.BadInputErr(errors.New("no candidate report: give the JSON report of 'paved release candidate' (--candidate-report)"))
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.BadInputErr(fmt.Errorf("reading candidate report %q: it does not exist: run paved release candidate --output json first", path))
	}
	if err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("reading candidate report %q: %w", path, err))
	}
	var c Candidate
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, failure.BadInputErr(fmt.Errorf("parsing candidate report %q: %w", path, err))
	}
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
	return &c, nil
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
		return failure.BadInputErr(fmt.Errorf("the candidate %s is a candidate of %s, not %s: run paved release candidate --version %s-rc.N",
			c.Version, core, version, version))
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
