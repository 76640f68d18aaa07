package snapshot

import (
	"github.com/paved-dev/paved/pipelines/record"
)

// Snapshot is what one run of paved run build-scan-deploy produced,
// normalised (see the package documentation). Fields a run did not get to
// are zero.
type Snapshot struct {
	// Status is ok or failed.
	Status string `json:"status"`
	// ExitCode is paved's exit code.
	ExitCode int `json:"exitCode"`
	// Failure says which step failed and why, for a failed run.
	Failure *Failure `json:"failure,omitempty"`
	// PavedVersion is the version the run record names.
	PavedVersion string `json:"pavedVersion,omitempty"`
	// Steps are the run record's steps in order, after the harness's own
	// pseudo-steps (prepare, cli) when those failed.
	Steps []Step `json:"steps"`
	// Image is the pushed image's config and annotations.
	Image *Image `json:"image,omitempty"`
	// Packages is the SBOM's package set, "type:name@version", sorted.
	Packages []string `json:"packages,omitempty"`
	// Findings counts scan findings by severity.
	Findings map[string]int `json:"findings,omitempty"`
	// Gate is the severity gate's verdict.
	Gate *Gate `json:"gate,omitempty"`
	// Attestations are the attested predicate types by step, sorted.
	Attestations map[string][]string `json:"attestations,omitempty"`
	// GitOps is the normalised unified diff the run made to its GitOps
	// repository ("" when it made none).
	GitOps string `json:"gitops,omitempty"`
}

// Pseudo-steps the harness adds in front of the pipeline's own steps.
const (
	// StepWrapper is the app's CI wrapper around paved: installing the
	// release, its own preparation (npm ci), the results; a wrapper that
	// breaks fails here, naming the app and the wrapper.
	StepWrapper = "wrapper"
	// StepCLI is paved's command line, before the pipeline starts: a
	// failure here (an unknown flag, a missing argument) leaves no run
	// record.
	StepCLI = "cli"
	// StepCollect is the harness reading a run's outputs: a candidate
	// whose record or image cannot be read failed here.
	StepCollect = "collect"
)

// Step statuses, as in the run record.
const (
	StatusOK      = record.StatusOK
	StatusFailed  = record.StatusFailed
	StatusSkipped = record.StatusSkipped
)

// Failure is why a run failed.
type Failure struct {
	Step     string `json:"step"`
	ExitCode int    `json:"exitCode"`
	Message  string `json:"message"`
}

// Step is one step of a run.
type Step struct {
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	DurationSeconds float64 `json:"durationSeconds"`
	Error           string  `json:"error,omitempty"`
}

// Image is what is compared of the pushed image.
type Image struct {
	Env          []string          `json:"env,omitempty"`
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Cmd          []string          `json:"cmd,omitempty"`
	User         string            `json:"user,omitempty"`
	WorkingDir   string            `json:"workingDir,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	// Layers are the layers' diff ids (uncompressed digests), in order.
	Layers []string `json:"layers,omitempty"`
}

// Gate is the gate step's verdict.
type Gate struct {
	Passed  bool     `json:"passed"`
	Failing []string `json:"failing,omitempty"`
}

// Step returns the named step, or nil.
func (s *Snapshot) Step(name string) *Step {
	for i := range s.Steps {
		if s.Steps[i].Name == name {
			return &s.Steps[i]
		}
	}
	return nil
}

// FailedStep returns the step the run failed at, or "".
func (s *Snapshot) FailedStep() string {
	if s.Failure != nil {
		return s.Failure.Step
	}
	for _, st := range s.Steps {
		if st.Status == StatusFailed {
			return st.Name
		}
	}
	return ""
}
