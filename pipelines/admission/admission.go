package admission

import (
	"fmt"
	"sort"
	"strings"

	"github.com/paved-dev/paved/pipelines/failure"
)

// Rule names. Every refusal of an exported policy starts with the name of
// the rule that refused, followed by what failed and what would make it
// pass.
const (
	// RuleDigest: every image is pinned by digest (REPO@sha256:…).
	RuleDigest = "paved-digest"
	// RuleRepository: every image is the repository of a service in
	// paved-gitops.yaml.
	RuleRepository = "paved-repository"
	// RuleSignature: a Cosign signature that verifies with the
	// environment's key.
	RuleSignature = "paved-signature"
	// RuleVulnerabilityScan: a vulnerability attestation signed with the
	// key whose gate passed.
	RuleVulnerabilityScan = "paved-vulnerability-scan"
	// RuleScanAge: that scan finished no longer ago than max_scan_age.
	RuleScanAge = "paved-scan-age"
	// RuleProvenance: a SLSA provenance attestation signed with the key.
	RuleProvenance = "paved-provenance"
	// RuleBaseAllowed: the provenance's base image is from an allowed
	// repository of the platform policy.
	RuleBaseAllowed = "paved-base-allowed"
	// RuleDeniedBase: the provenance's base image is not denied as of now.
	RuleDeniedBase = "paved-denied-base"
)

// A Format renders admission policies for one enforcer.
type Format interface {
	// Name is the format's name, as paved policy export --format takes it.
	Name() string
	// Render returns the files of the export, one per environment and any
	// the enforcer needs besides, with paths relative to the output
	// directory, sorted by path. The same rules give the same bytes.
	Render(r *Rules) ([]File, error)
}

// File is one rendered file of an export.
type File struct {
	// Path is relative to the export's directory, slash-separated.
	Path string
	// Data is the file's contents: YAML documents.
	Data []byte
}

// formats holds every Format by name; each format's file registers itself.
var formats = map[string]Format{}

func register(f Format) { formats[f.Name()] = f }

// Formats returns the names of the formats, sorted.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the format called name, or a bad-input error listing the
// formats there are.
func Lookup(name string) (Format, error) {
	f, ok := formats[name]
	if !ok {
		return nil, failure.BadInputErr(fmt.Errorf("unknown admission policy format %q: use %s", name, strings.Join(Formats(), ", ")))
	}
	return f, nil
}

// Render renders r in the named format.
func Render(r *Rules, format string) ([]File, error) {
	f, err := Lookup(format)
	if err != nil {
		return nil, err
	}
	files, err := f.Render(r)
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}
