package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/paved-dev/paved/pipelines/vuln"
)

// GitLabSchemaVersion is the version of GitLab's container-scanning report
// format WriteGitLab writes (the one Trivy's GitLab template writes).
const GitLabSchemaVersion = "15.0.7"

// gitlabTime is the report format's time layout (no zone: UTC).
const gitlabTime = "2006-01-02T15:04:05"

type gitlabReport struct {
	Version         string       `json:"version"`
	Schema          string       `json:"schema"`
	Scan            gitlabScan   `json:"scan"`
	Vulnerabilities []gitlabVuln `json:"vulnerabilities"`
	Remediations    []any        `json:"remediations"`
}

type gitlabScan struct {
	Analyzer  gitlabTool `json:"analyzer"`
	Scanner   gitlabTool `json:"scanner"`
	Type      string     `json:"type"`
	StartTime string     `json:"start_time"`
	EndTime   string     `json:"end_time"`
	Status    string     `json:"status"`
}

type gitlabTool struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	URL     string       `json:"url,omitempty"`
	Version string       `json:"version"`
	Vendor  gitlabVendor `json:"vendor"`
}

type gitlabVendor struct {
	Name string `json:"name"`
}

type gitlabVuln struct {
	ID          string             `json:"id"`
	Name        string             `json:"name,omitempty"`
	Description string             `json:"description,omitempty"`
	Severity    string             `json:"severity"`
	Solution    string             `json:"solution"`
	Location    gitlabLocation     `json:"location"`
	Identifiers []gitlabIdentifier `json:"identifiers"`
	Links       []gitlabLink       `json:"links"`
}

type gitlabLocation struct {
	Dependency      gitlabDependency `json:"dependency"`
	OperatingSystem string           `json:"operating_system"`
	Image           string           `json:"image"`
}

type gitlabDependency struct {
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
	Version string `json:"version"`
}

type gitlabIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type gitlabLink struct {
	URL string `json:"url"`
}

// gitlabNamespace makes each finding's report id stable: the same finding
// in the same image gets the same UUID in every pipeline, as GitLab tracks
// vulnerabilities across pipelines.
var gitlabNamespace = uuid.MustParse("2b1d6bd2-4d5b-4b8e-9d5d-6c2e1f2f7a10")

// WriteGitLab writes r as GitLab's container-scanning report
// (artifacts:reports:container_scanning, format GitLabSchemaVersion), one
// vulnerability per finding, for image (the scanned REPO@sha256:…).
func WriteGitLab(w io.Writer, r *vuln.Report, image string, scannerVersion string) error {
	tool := gitlabTool{ID: "paved", Name: "paved (Trivy)", URL: "https://github.com/paved-dev/paved", Version: scannerVersion, Vendor: gitlabVendor{Name: "paved"}}
	out := gitlabReport{
		Version: GitLabSchemaVersion,
		Schema:  "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v" + GitLabSchemaVersion + "/dist/container-scanning-report-format.json",
		Scan: gitlabScan{
			Analyzer: tool, Scanner: tool, Type: "container_scanning", Status: "success",
			StartTime: r.StartedAt.UTC().Format(gitlabTime), EndTime: r.FinishedAt.UTC().Format(gitlabTime),
		},
		Vulnerabilities: []gitlabVuln{},
		Remediations:    []any{},
	}
	for _, f := range r.Findings {
		out.Vulnerabilities = append(out.Vulnerabilities, gitlabVulnFor(f, image, r.Artifact.OS))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing the GitLab container-scanning report: %w", err)
	}
	return nil
}

func gitlabVulnFor(f vuln.Finding, image, os string) gitlabVuln {
	v := gitlabVuln{
		ID:          uuid.NewSHA1(gitlabNamespace, []byte(image+"|"+f.Key())).String(),
		Name:        orDefault(f.Title, f.ID),
		Description: f.Description,
		Severity:    gitlabSeverity(f.Severity),
		Solution:    "No fixed version yet",
		Location:    gitlabLocation{OperatingSystem: orDefault(os, "Unknown"), Image: image},
		Identifiers: []gitlabIdentifier{{Type: identifierType(f.ID), Name: f.ID, Value: f.ID, URL: f.URL}},
		Links:       []gitlabLink{},
	}
	if f.Fixed != "" {
		v.Solution = fmt.Sprintf("Upgrade %s to %s", f.Package, f.Fixed)
	}
	v.Location.Dependency.Package.Name = f.Package
	v.Location.Dependency.Version = f.Installed
	if f.URL != "" {
		v.Links = append(v.Links, gitlabLink{URL: f.URL})
	}
	return v
}

// gitlabSeverity maps a severity to the report format's enum.
func gitlabSeverity(s vuln.Severity) string {
	switch s {
	case vuln.Critical, vuln.High, vuln.Medium, vuln.Low:
		return string(s[:1]) + strings.ToLower(string(s[1:]))
	}
	return "Unknown"
}

func identifierType(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "cve"
	case strings.HasPrefix(id, "GHSA-"):
		return "ghsa"
	}
	return strings.ToLower(strings.SplitN(id, "-", 2)[0])
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
