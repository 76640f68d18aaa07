package snapshot

import (
	"encoding/json"
	"fmt"
	"os"
)

// record is the part of the run record (paved.dev/run-record/v1,
// pipelines/template.Record) that snapshots read. It is decoded here rather
// than imported so the harness does not link the pipeline's scanners; the
// record's JSON is covered by semver (VERSIONING.md), so the fields stay.
type record struct {
	SchemaVersion string `json:"schemaVersion"`
	PavedVersion  string `json:"pavedVersion"`
	Status        string `json:"status"`
	Image         string `json:"image"`
	Failure       *struct {
		Step     string `json:"step"`
		ExitCode int    `json:"exitCode"`
		Message  string `json:"message"`
	} `json:"failure"`
	Steps []struct {
		Name            string  `json:"name"`
		Status          string  `json:"status"`
		DurationSeconds float64 `json:"durationSeconds"`
		Error           string  `json:"error"`
		Outputs         struct {
			Files        []string       `json:"files"`
			Findings     map[string]int `json:"findings"`
			GatePassed   *bool          `json:"gatePassed"`
			Failing      []string       `json:"failing"`
			Attestations []string       `json:"attestations"`
		} `json:"outputs"`
	} `json:"steps"`
}

const recordSchema = "paved.dev/run-record/v1"

func readRecord(file string) (*record, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decoding run record %q: %w", file, err)
	}
	if r.SchemaVersion != recordSchema {
		return nil, fmt.Errorf("reading run record %q: schemaVersion %q, want %s", file, r.SchemaVersion, recordSchema)
	}
	return &r, nil
}
