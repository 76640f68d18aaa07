package campaign

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/paved-dev/paved/fleet/campaign/gitrepo"
	"github.com/paved-dev/paved/fleet/pin"
)

// RunsDir is the directory of a service repository where its CI wrapper
// commits a record of every run, one JSON file per run (the name is free;
// <commit>.json is the convention). A file is either a RunStatus or the
// run record paved itself writes (paved-run.json).
const RunsDir = ".paved/runs"

// RunStatusSchema is the schemaVersion of a RunStatus.
const RunStatusSchema = "paved.dev/run-status/v1"

// runRecordSchema is the schemaVersion of paved's own run record
// (pipelines/template.RecordSchema).
const runRecordSchema = "paved.dev/run-record/v1"

// RunStatus is the smallest record a wrapper can commit after a run:
//
//	{"schemaVersion": "paved.dev/run-status/v1", "commit": "<sha>",
//	 "pavedVersion": "v0.3.0", "status": "ok", "finishedAt": "2026-11-02T10:00:00Z"}
//
// with "status": "failed", "step" and "message" for a failed run, and
// optionally "bases", the base image digests the build used.
type RunStatus struct {
	SchemaVersion string    `json:"schemaVersion"`
	Commit        string    `json:"commit"`
	PavedVersion  string    `json:"pavedVersion"`
	Status        string    `json:"status"`
	Step          string    `json:"step,omitempty"`
	Message       string    `json:"message,omitempty"`
	Bases         []string  `json:"bases,omitempty"`
	FinishedAt    time.Time `json:"finishedAt"`
}

// runRecord is the part of paved's run record (paved-run.json) a health
// gate reads.
type runRecord struct {
	SchemaVersion string `json:"schemaVersion"`
	PavedVersion  string `json:"pavedVersion"`
	Source        struct {
		Revision string `json:"revision"`
	} `json:"source"`
	Status  string `json:"status"`
	Failure *struct {
		Step    string `json:"step"`
		Message string `json:"message"`
	} `json:"failure"`
	FinishedAt time.Time `json:"finishedAt"`
	Steps      []struct {
		Name    string `json:"name"`
		Status  string `json:"status"`
		Error   string `json:"error"`
		Outputs struct {
			Bases []string `json:"bases"`
		} `json:"outputs"`
	} `json:"steps"`
}

// ParseRun reads a run file of either format into a RunStatus.
func ParseRun(file string, data []byte) (RunStatus, error) {
	var probe struct {
		SchemaVersion string `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return RunStatus{}, fmt.Errorf("parsing run file %q: %w", file, err)
	}
	switch probe.SchemaVersion {
	case RunStatusSchema:
		var s RunStatus
		if err := json.Unmarshal(data, &s); err != nil {
			return RunStatus{}, fmt.Errorf("parsing run file %q: %w", file, err)
		}
		return s, nil
	case runRecordSchema:
		var r runRecord
		if err := json.Unmarshal(data, &r); err != nil {
			return RunStatus{}, fmt.Errorf("parsing run file %q: %w", file, err)
		}
		s := RunStatus{SchemaVersion: r.SchemaVersion, Commit: r.Source.Revision, PavedVersion: r.PavedVersion, Status: r.Status, FinishedAt: r.FinishedAt}
		if r.Failure != nil {
			s.Step, s.Message = r.Failure.Step, r.Failure.Message
		}
		for _, st := range r.Steps {
			s.Bases = append(s.Bases, st.Outputs.Bases...)
			if st.Status == "failed" && s.Step == "" {
				s.Step, s.Message = st.Name, st.Error
			}
		}
		return s, nil
	}
	return RunStatus{}, fmt.Errorf("parsing run file %q: schemaVersion %q: want %s or %s", file, probe.SchemaVersion, RunStatusSchema, runRecordSchema)
}

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
		run, err := ParseRun(f.Path, f.Data)
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
func ranTarget(c *Campaign, run RunStatus) (counts, verified bool) {
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
