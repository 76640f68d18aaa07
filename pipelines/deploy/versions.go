package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/go-git/go-billy/v5"
	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/deploy/yamlpatch"
	"github.com/paved-dev/paved/pipelines/failure"
)

// VersionsFile is the versions registry, at the GitOps repository's root.
const VersionsFile = "versions.yaml"

// MaxHistory is how many earlier deployments a record keeps for rollback.
const MaxHistory = 20

const versionsHeader = "# Managed by paved: what runs where. Edit with paved deploy, not by hand.\n"

// Versions is versions.yaml: per service, per environment, what is deployed.
type Versions struct {
	Services map[string]map[string]*Record `yaml:"services" json:"services"`
}

// Record is what one environment of one service runs, and how it got there.
type Record struct {
	Version        string `yaml:"version" json:"version"`
	Image          string `yaml:"image" json:"image"`
	Digest         string `yaml:"digest" json:"digest"`
	PreviousDigest string `yaml:"previous_digest,omitempty" json:"previousDigest,omitempty"`
	SourceRevision string `yaml:"source_revision,omitempty" json:"sourceRevision,omitempty"`
	PavedVersion   string `yaml:"paved_version,omitempty" json:"pavedVersion,omitempty"`
	// DeployedAt is UTC, RFC 3339.
	DeployedAt string `yaml:"deployed_at" json:"deployedAt"`
	DeployedBy string `yaml:"deployed_by,omitempty" json:"deployedBy,omitempty"`
	TraceID    string `yaml:"trace_id,omitempty" json:"traceId,omitempty"`
	RunID      string `yaml:"run_id,omitempty" json:"runId,omitempty"`
	// ApprovedBy is the identity that approved a gated promotion.
	ApprovedBy string `yaml:"approved_by,omitempty" json:"approvedBy,omitempty"`
	// Slot is the blue-green slot (blue or green) whose Deployment runs this
	// record's image, for blue-green services.
	Slot string `yaml:"slot,omitempty" json:"slot,omitempty"`
	// Live is the slot the service's Service selects: traffic goes there.
	// A bump writes the idle slot (Slot != Live) until a switch.
	Live string `yaml:"live,omitempty" json:"live,omitempty"`
	// SwitchedAt (UTC, RFC 3339) and SwitchedBy say when and by whom the
	// Service was last pointed at Live by a switch.
	SwitchedAt string `yaml:"switched_at,omitempty" json:"switchedAt,omitempty"`
	SwitchedBy string `yaml:"switched_by,omitempty" json:"switchedBy,omitempty"`
	// Lock, when set, makes bump refuse this service and environment.
	Lock *Lock `yaml:"lock,omitempty" json:"lock,omitempty"`
	// History holds earlier deployments, newest first, at most MaxHistory.
	History []Deployment `yaml:"history,omitempty" json:"history,omitempty"`
}

// Deployment is one earlier deployment kept for rollback.
type Deployment struct {
	Version    string `yaml:"version" json:"version"`
	Image      string `yaml:"image" json:"image"`
	Digest     string `yaml:"digest" json:"digest"`
	DeployedAt string `yaml:"deployed_at" json:"deployedAt"`
	Slot       string `yaml:"slot,omitempty" json:"slot,omitempty"`
}

// Lock pins a service in an environment after a rollback.
type Lock struct {
	Reason string `yaml:"reason" json:"reason"`
	By     string `yaml:"by,omitempty" json:"by,omitempty"`
	At     string `yaml:"at" json:"at"`
}

// LoadVersions reads versions.yaml from the root of fsys; a missing file is
// an empty registry.
func LoadVersions(fsys billy.Filesystem) (*Versions, []byte, error) {
	data, err := readFile(fsys, VersionsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &Versions{Services: map[string]map[string]*Record{}}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if _, err := yamlpatch.Parse(VersionsFile, data); err != nil {
		return nil, nil, err
	}
	var v Versions
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil && len(bytes.TrimSpace(data)) > 0 {
		return nil, nil, failure.BadInputErr(fmt.Errorf("parsing %s: %w: fix it or restore it from git history", VersionsFile, err))
	}
	if v.Services == nil {
		v.Services = map[string]map[string]*Record{}
	}
	return &v, data, nil
}

// repositories returns the repositories of the record's image and its
// history, newest first; none for a nil record. An image that does not
// parse (a hand-edited versions.yaml) names none.
func (r *Record) repositories() []string {
	if r == nil {
		return nil
	}
	images := []string{r.Image}
	for _, h := range r.History {
		images = append(images, h.Image)
	}
	var out []string
	for _, image := range images {
		if ref, err := name.ParseReference(image); err == nil {
			out = append(out, ref.Context().Name())
		}
	}
	return out
}

// Get returns the record of service in env, or nil.
func (v *Versions) Get(service, env string) *Record {
	return v.Services[service][env]
}

// set stores rec as the new record of service in env, moving the record it
// replaces into its history.
func (v *Versions) set(service, env string, rec Record) *Record {
	if v.Services[service] == nil {
		v.Services[service] = map[string]*Record{}
	}
	if old := v.Services[service][env]; old != nil {
		rec.PreviousDigest = old.Digest
		rec.History = append([]Deployment{{Version: old.Version, Image: old.Image, Digest: old.Digest, DeployedAt: old.DeployedAt, Slot: old.Slot}}, old.History...)
		if len(rec.History) > MaxHistory {
			rec.History = rec.History[:MaxHistory]
		}
		if rec.Lock == nil {
			rec.Lock = old.Lock
		}
	}
	v.Services[service][env] = &rec
	return &rec
}

// Marshal renders versions.yaml (keys sorted, so the output is stable).
func (v *Versions) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(versionsHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("writing %s: %w", VersionsFile, err)
	}
	return b.Bytes(), enc.Close()
}
