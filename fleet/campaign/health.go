package campaign

import (
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/record"
)

// RunsDir is the directory of a service repository where its CI wrapper
// commits a record of every run, one JSON file per run (the name is free;
// <commit>.json is the convention). A file is either a record.RunStatus or the
// run record paved itself writes (paved-run.json).
const RunsDir = ".paved/runs"

// Verdict is a merged service's health: its latest counted run.
type Verdict struct {
	// Status is ok, failed, or missing (no counted run yet).
	Status string `yaml:"status" json:"status"`
	// Evidence says where the verdict comes from: check (the forge's CI
	// result), deploy (a GitOps deploy record) or run (a run file).
	Evidence string `yaml:"evidence,omitempty" json:"evidence,omitempty"`
	// Commit is the commit the evidence is about; File the record file
	// (a run file, versions.yaml); URL the CI result's page.
	Commit string `yaml:"commit,omitempty" json:"commit,omitempty"`
	File   string `yaml:"file,omitempty" json:"file,omitempty"`
	URL    string `yaml:"url,omitempty" json:"url,omitempty"`
	// Step and Message say where and why a failed run failed (for a
	// forge result: the check's name and the forge's description).
	Step       string     `yaml:"step,omitempty" json:"step,omitempty"`
	Message    string     `yaml:"message,omitempty" json:"message,omitempty"`
	FinishedAt *time.Time `yaml:"finishedAt,omitempty" json:"finishedAt,omitempty"`
	// Unverified marks a base campaign's run that did not report the base
	// images it built on: it counts (paved's own run record does not
	// report bases), but the new base is not verified.
	Unverified bool `yaml:"unverified,omitempty" json:"unverified,omitempty"`
}

// Verdict statuses.
const (
	HealthOK      = "ok"
	HealthFailed  = "failed"
	HealthMissing = "missing"
)

// verdict reads the run records of a merged service from its base branch
// and returns the latest that counts: it ran the target (the campaign's
// paved version; for a base, the new digest when the run names its bases)
// on the merge commit (else the bump commit) or a descendant, and finished by deadline, the end
// of its wave's health window.
func verdict(r *gitrepo.Repo, c *Campaign, s *Service, deadline time.Time) (*Verdict, error) {
	tip, _ := r.Tip(r.Base)
	// A merge paved could not find (merged some other way) leaves only the
	// bump: a run on it or a descendant ran the bump.
	merge := plumbing.NewHash(or(s.Change.MergeCommit, s.BumpCommit))
	if merge.IsZero() {
		return &Verdict{Status: HealthMissing, Message: "neither the merge nor the bump commit is recorded"}, nil
	}
	files, err := r.Files(tip, func(p string) bool { return path.Dir(p) == RunsDir && strings.HasSuffix(p, ".json") })
	if err != nil {
		return nil, err
	}
	v := &Verdict{Status: HealthMissing}
	var latest time.Time
	for _, f := range files {
		run, err := record.ParseRun(f.Path, f.Data)
		counts, verified := ranTarget(c, run)
		if err != nil || !counts || !isHash(run.Commit) {
			continue
		}
		if !run.FinishedAt.IsZero() && run.FinishedAt.After(deadline) {
			continue
		}
		if ok, err := r.IsAncestor(merge, plumbing.NewHash(run.Commit)); err != nil || !ok {
			continue
		}
		if v.Status != HealthMissing && run.FinishedAt.Before(latest) {
			continue
		}
		latest = run.FinishedAt
		at := run.FinishedAt
		v = &Verdict{Status: HealthOK, Commit: run.Commit, File: f.Path, FinishedAt: &at}
		if run.Status != "ok" {
			v.Status, v.Step, v.Message = HealthFailed, or(run.Step, "unknown step"), run.Message
		} else if !verified {
			v.Unverified, v.Message = true, "the run did not report its base images: the new base is not verified"
		}
	}
	return v, nil
}

// ranTarget reports whether run counts for the campaign's target, and
// whether it is verified: a paved campaign's run must have run its
// version; a base campaign's run must name the new base's digest among
// its bases, or, naming no bases, counts unverified.
func ranTarget(c *Campaign, run record.RunStatus) (counts, verified bool) {
	switch c.Target.Kind {
	case pin.Paved:
		v := strings.TrimPrefix(run.PavedVersion, "v") == strings.TrimPrefix(c.Target.To, "v")
		return v, v
	case pin.Base:
		if len(run.Bases) == 0 {
			return true, false
		}
		_, _, digest := pin.SplitImage(c.Target.To)
		for _, b := range run.Bases {
			if _, _, d := pin.SplitImage(b); d == digest || b == digest {
				return true, true
			}
		}
		return false, false
	}
	return true, true
}

func isHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
