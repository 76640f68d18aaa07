// Package record holds the run record (paved-run.json, paved.dev/run-record/v1)
// and the run status a CI wrapper commits (paved.dev/run-status/v1): the
// contract that the pipeline writes and the fleet, the release harness and
// the demo read. It imports nothing heavier than the standard library, so a
// reader decodes the real type instead of re-declaring it. The JSON of both
// is covered by semver (VERSIONING.md): fields are only added within v1.
package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Schema is the schemaVersion of the run record. Fields are only
// added within v1; a rename or removal makes v2.
const Schema = "paved.dev/run-record/v1"

// Predicate is the in-toto predicate type of the run record when
// it is attached to the image as an attestation.
const Predicate = "https://paved.dev/run-record/v1"

// File is the run record's file name.
const File = "paved-run.json"

// Step statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
)

// Run is the run record (paved-run.json): what ran, when, with which
// result. Times are RFC 3339 UTC; durations are seconds.
type Run struct {
	SchemaVersion string `json:"schemaVersion"`
	// Pipeline is the pipeline's name, e.g. build-scan-deploy.
	Pipeline string `json:"pipeline"`
	// PavedVersion is the version of paved that ran.
	PavedVersion string `json:"pavedVersion"`
	Service      string `json:"service"`
	Env          string `json:"env,omitempty"`
	Source       Source `json:"source"`
	// RunID identifies the run (the CI job, or a random id).
	RunID string `json:"runId"`
	// TraceID is the OpenTelemetry trace id of the run (32 hex digits).
	TraceID string `json:"traceId"`
	// Status is ok or failed; Failure says which step failed and why.
	Status  string   `json:"status"`
	Failure *Failure `json:"failure,omitempty"`
	// Image is the pushed image, by digest, once pushed.
	Image           string    `json:"image,omitempty"`
	StartedAt       time.Time `json:"startedAt"`
	FinishedAt      time.Time `json:"finishedAt"`
	DurationSeconds float64   `json:"durationSeconds"`
	Steps           []Step    `json:"steps"`
	// Warnings are policy warnings (deprecations, denials dated later).
	Warnings []string `json:"warnings,omitempty"`
	// Leftover is what a failed run left in the registry without
	// deploying it.
	Leftover *Leftover `json:"leftover,omitempty"`
}

// Leftover is the image a failed run pushed and did not deploy, with the
// signature and attestations it got before the failure. paved verify
// names a signed image without attestations, or the reverse, a leftover.
type Leftover struct {
	Image    string `json:"image"`
	Signed   bool   `json:"signed"`
	Attested bool   `json:"attested"`
	// Note says what it is and what to do, in one line.
	Note string `json:"note"`
}

// Source is the source the image was built from.
type Source struct {
	Repository string `json:"repository,omitempty"`
	Revision   string `json:"revision,omitempty"`
}

// Failure is why a run failed.
type Failure struct {
	Step string `json:"step"`
	// Kind is the failure class (bad input, policy violation, transient,
	// internal) and ExitCode the CLI's exit code for it.
	Kind     string `json:"kind"`
	ExitCode int    `json:"exitCode"`
	Message  string `json:"message"`
}

// Step is one step of the run.
type Step struct {
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	StartedAt       *time.Time `json:"startedAt,omitempty"`
	FinishedAt      *time.Time `json:"finishedAt,omitempty"`
	DurationSeconds float64    `json:"durationSeconds"`
	// Error is the step's error, for a failed step; Reason says why a
	// step was skipped.
	Error   string  `json:"error,omitempty"`
	Reason  string  `json:"reason,omitempty"`
	Outputs Outputs `json:"outputs,omitzero"`
}

// Outputs are what a step produced; each step fills its own fields.
type Outputs struct {
	// Digest is the image digest (build, push); Reference REPO@DIGEST (push).
	Digest    string `json:"digest,omitempty"`
	Reference string `json:"reference,omitempty"`
	// Bases are the base images, by digest (build).
	Bases []string `json:"bases,omitempty"`
	// SBOMDigest is the sha256 of the SBOM document; SBOMFormat its format;
	// Packages the number of packages (sbom).
	SBOMDigest string `json:"sbomDigest,omitempty"`
	SBOMFormat string `json:"sbomFormat,omitempty"`
	Packages   int    `json:"packages,omitempty"`
	// Reused is true when the SBOM was read back from the digest's
	// attestations, made by an earlier run of the same input, instead of
	// catalogued (sbom).
	Reused bool `json:"reused,omitempty"`
	// Findings counts findings by severity (scan).
	Findings map[string]int `json:"findings,omitempty"`
	// GatePassed and Failing are the gate's verdict (gate).
	GatePassed *bool    `json:"gatePassed,omitempty"`
	Failing    []string `json:"failing,omitempty"`
	// Signature is the signature tag (sign); Attestations the attested
	// predicate types (attest, record).
	Signature    string   `json:"signature,omitempty"`
	Attestations []string `json:"attestations,omitempty"`
	// Verified counts verified signatures (verify).
	Verified int `json:"verified,omitempty"`
	// GitOpsCommit is the pushed GitOps commit; GitOpsChanged is false when
	// the repository already ran this image (deploy).
	GitOpsCommit  string `json:"gitopsCommit,omitempty"`
	GitOpsChanged *bool  `json:"gitopsChanged,omitempty"`
	// Files are files the step wrote (reports).
	Files []string `json:"files,omitempty"`
	// Warnings are the step's warnings.
	Warnings []string `json:"warnings,omitempty"`
}

// Step returns the record of the named step, or nil.
func (r *Run) Step(name string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

// Write writes the record as indented JSON to path, atomically.
func (r *Run) Write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding run record: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing run record %q: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing run record %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing run record %q: %w", path, err)
	}
	return nil
}

// Read reads the run record at path and checks its schemaVersion.
func Read(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading run record %q: %w", path, err)
	}
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding run record %q: %w", path, err)
	}
	if r.SchemaVersion != Schema {
		return nil, fmt.Errorf("reading run record %q: schemaVersion %q, want %s", path, r.SchemaVersion, Schema)
	}
	return &r, nil
}
