package record

import (
	"encoding/json"
	"fmt"
	"time"
)

// RunStatusSchema is the schemaVersion of a RunStatus.
const RunStatusSchema = "paved.dev/run-status/v1"

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

// ParseRun reads a run file of either format, a RunStatus or a run record
// (Run), into a RunStatus. file names the input in errors.
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
	case Schema:
		var r Run
		if err := json.Unmarshal(data, &r); err != nil {
			return RunStatus{}, fmt.Errorf("parsing run file %q: %w", file, err)
		}
		return r.RunStatus(), nil
	}
	return RunStatus{}, fmt.Errorf("parsing run file %q: schemaVersion %q: want %s or %s", file, probe.SchemaVersion, RunStatusSchema, Schema)
}

// RunStatus returns the run's status: its source revision as the commit,
// the failed step and its message, and the base images every step reported.
func (r *Run) RunStatus() RunStatus {
	s := RunStatus{SchemaVersion: r.SchemaVersion, Commit: r.Source.Revision, PavedVersion: r.PavedVersion, Status: r.Status, FinishedAt: r.FinishedAt}
	if r.Failure != nil {
		s.Step, s.Message = r.Failure.Step, r.Failure.Message
	}
	for _, st := range r.Steps {
		s.Bases = append(s.Bases, st.Outputs.Bases...)
		if st.Status == StatusFailed && s.Step == "" {
			s.Step, s.Message = st.Name, st.Error
		}
	}
	return s
}
