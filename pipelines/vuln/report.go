package vuln

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SchemaVersion identifies the JSON report format (see the package doc).
const SchemaVersion = "paved.dev/scan-report/v1"

// ReportSchema is the JSON Schema of Report (report.schema.json).
//
//go:embed report.schema.json
var ReportSchema []byte

// Severity is a vulnerability severity as Trivy reports it.
type Severity string

// Severities, highest first.
const (
	Critical Severity = "CRITICAL"
	High     Severity = "HIGH"
	Medium   Severity = "MEDIUM"
	Low      Severity = "LOW"
	Unknown  Severity = "UNKNOWN"
)

// AllSeverities lists every severity, highest first.
var AllSeverities = []Severity{Critical, High, Medium, Low, Unknown}

// Rank orders severities: 0 is the highest, len(AllSeverities) an
// unknown string.
func (s Severity) Rank() int {
	if i := slices.Index(AllSeverities, s); i >= 0 {
		return i
	}
	return len(AllSeverities)
}

// Known reports whether s is one of AllSeverities.
func (s Severity) Known() bool { return slices.Contains(AllSeverities, s) }

// Strings returns sevs as strings, in order.
func Strings(sevs []Severity) []string {
	out := make([]string, len(sevs))
	for i, s := range sevs {
		out[i] = string(s)
	}
	return out
}

// ParseSeverities parses a comma-separated list such as "CRITICAL,HIGH"
// (case-insensitive).
func ParseSeverities(s string) ([]Severity, error) {
	var out []Severity
	for _, f := range strings.Split(s, ",") {
		sev := Severity(strings.ToUpper(strings.TrimSpace(f)))
		if sev == "" {
			continue
		}
		if !slices.Contains(AllSeverities, sev) {
			return nil, fmt.Errorf("parsing severity %q: use CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN", f)
		}
		if !slices.Contains(out, sev) {
			out = append(out, sev)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parsing severities %q: name at least one", s)
	}
	return out, nil
}

// Report is the result of a scan; its JSON form is the versioned scan
// report (SchemaVersion).
type Report struct {
	SchemaVersion  string        `json:"schemaVersion"`
	Artifact       Artifact      `json:"artifact"`
	Scanner        ScannerInfo   `json:"scanner"`
	DB             DBInfo        `json:"db"`
	StartedAt      time.Time     `json:"startedAt"`
	FinishedAt     time.Time     `json:"finishedAt"`
	Findings       []Finding     `json:"findings"`
	Counts         Counts        `json:"counts"`
	Ignored        []Ignored     `json:"ignored"`
	ExpiredIgnores []IgnoreEntry `json:"expiredIgnores"`
	Gate           Gate          `json:"gate"`
}

// Artifact is what was scanned.
type Artifact struct {
	// Name is the image reference, layout directory, tarball or SBOM path.
	Name string `json:"name"`
	// Digest is the image manifest digest (sha256:...), when known.
	Digest string `json:"digest,omitempty"`
	// Kind is "image" or "sbom": what the scan read.
	Kind string `json:"kind"`
	// OS is the detected distribution, e.g. "debian 12.5".
	OS string `json:"os,omitempty"`
}

// ScannerInfo names the scanner and its version.
type ScannerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DBInfo describes the vulnerability database the scan used.
type DBInfo struct {
	SchemaVersion int       `json:"schemaVersion"`
	UpdatedAt     time.Time `json:"updatedAt"`
	NextUpdate    time.Time `json:"nextUpdate"`
	DownloadedAt  time.Time `json:"downloadedAt"`
}

// Finding is one vulnerability in one package at one location.
type Finding struct {
	ID        string   `json:"id"`
	Package   string   `json:"package"`
	Installed string   `json:"installed"`
	Fixed     string   `json:"fixed,omitempty"`
	Severity  Severity `json:"severity"`
	Title     string   `json:"title,omitempty"`
	// Status is Trivy's status: fixed, affected, will_not_fix, ...
	Status string `json:"status,omitempty"`
	// Target is Trivy's target, e.g. "debian 12.5" or "app/server".
	Target string `json:"target"`
	// Path is the file the package was found in, when known.
	Path string `json:"path,omitempty"`
	// Class is "os-pkgs" or "lang-pkgs".
	Class string `json:"class"`
	// Type is the package type: debian, gobinary, python-pkg, node-pkg, ...
	Type string `json:"type"`
	// PURL is the package URL, when known.
	PURL string `json:"purl,omitempty"`
	// URL is the advisory's primary URL.
	URL string `json:"url,omitempty"`
	// Description is the advisory text (not in the JSON report).
	Description string `json:"-"`
}

// Key identifies a finding across image and SBOM scans: id, package,
// installed version and package type.
func (f Finding) Key() string {
	return strings.Join([]string{f.ID, f.Package, f.Installed, f.Type}, "|")
}

// Counts is the number of findings (not ignored) per severity.
type Counts map[Severity]int

// Ignored is a finding that an ignore entry suppressed.
type Ignored struct {
	Finding Finding     `json:"finding"`
	Entry   IgnoreEntry `json:"entry"`
}

// Gate is the gate's verdict.
type Gate struct {
	Passed        bool       `json:"passed"`
	Severities    []Severity `json:"severities"`
	IgnoreUnfixed bool       `json:"ignoreUnfixed"`
	// Failing lists the ids of the failing findings, sorted, without
	// duplicates.
	Failing []string `json:"failing"`
}

// SortFindings orders findings by severity (highest first), id, package,
// then target.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := a.Severity.Rank() - b.Severity.Rank(); c != 0 {
			return c
		}
		return strings.Compare(a.Key()+"|"+a.Target, b.Key()+"|"+b.Target)
	})
}
