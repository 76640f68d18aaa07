package scan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/paved-dev/paved/pipelines/vuln"
)

// SARIFOptions places findings in the repository for code scanning.
type SARIFOptions struct {
	// Sources maps a package type (gobinary, gomod, debian, python-pkg,
	// node-pkg, ...) or a class (os-pkgs, lang-pkgs) to the repository file
	// that declares those packages, e.g. {"gobinary": "go.mod", "os-pkgs":
	// "Dockerfile"}. Findings without a source point at their path in the
	// image.
	Sources map[string]string
	// Root is the repository directory. When set, a finding's line is the
	// first line of its source file that names the package (e.g. the
	// require line in go.mod); otherwise line 1.
	Root string
}

// sarifSchema is the schema URI GitHub code scanning expects.
const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	FullName       string      `json:"fullName"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	HelpURI              string         `json:"helpUri,omitempty"`
	Help                 sarifHelp      `json:"help"`
	DefaultConfiguration sarifLevel     `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifLevel struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          sarifText     `json:"message"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

// WriteSARIF writes r's findings (not the ignored ones) as a SARIF 2.1.0
// log that GitHub code scanning accepts: one rule per vulnerability id with
// help text, one result per finding, located per opts.
func WriteSARIF(w io.Writer, r *vuln.Report, opts SARIFOptions) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "paved-scan", FullName: "paved vulnerability scan (Trivy " + r.Scanner.Version + ")",
			Version: strings.TrimPrefix(r.Scanner.Version, "v"), InformationURI: "https://trivy.dev/",
			Rules: []sarifRule{},
		}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	lines := lineFinder{root: opts.Root, cache: map[string][]string{}}
	for _, f := range r.Findings {
		i, ok := index[f.ID]
		if !ok {
			i = len(run.Tool.Driver.Rules)
			index[f.ID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(f))
		}
		uri := sourceFor(f, opts.Sources)
		line := lines.find(uri, f.Package)
		run.Results = append(run.Results, sarifResult{
			RuleID: f.ID, RuleIndex: i, Level: sarifLevelFor(f.Severity),
			Message: sarifText{Text: resultMessage(r, f)},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}, Region: sarifRegion{StartLine: line, StartColumn: 1, EndLine: line, EndColumn: 1}},
				Message:          sarifText{Text: fmt.Sprintf("%s: %s@%s", r.Artifact.Name, f.Package, f.Installed)},
			}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Version: "2.1.0", Schema: sarifSchema, Runs: []sarifRun{run}})
}

func sarifRuleFor(f vuln.Finding) sarifRule {
	name := "LanguageSpecificPackageVulnerability"
	if f.Class == "os-pkgs" {
		name = "OsPackageVulnerability"
	}
	title := f.Title
	if title == "" {
		title = f.ID
	}
	desc := f.Description
	if desc == "" {
		desc = title
	}
	fix := "No fixed version is published yet; if the finding does not apply, add a dated entry with a reason to " + vuln.DefaultIgnoreFile + "."
	if f.Fixed != "" {
		fix = fmt.Sprintf("Upgrade %s to %s or later.", f.Package, f.Fixed)
	}
	return sarifRule{
		ID: f.ID, Name: name,
		ShortDescription: sarifText{Text: title}, FullDescription: sarifText{Text: desc},
		HelpURI: f.URL,
		Help: sarifHelp{
			Text:     fmt.Sprintf("Vulnerability %s\nSeverity: %s\nPackage: %s\nFixed version: %s\n%s\n%s", f.ID, f.Severity, f.Package, orNone(f.Fixed), fix, f.URL),
			Markdown: fmt.Sprintf("**Vulnerability %s** (%s)\n\n| Package | Fixed version |\n| --- | --- |\n| %s | %s |\n\n%s\n\n%s", f.ID, f.Severity, f.Package, orNone(f.Fixed), fix, f.URL),
		},
		DefaultConfiguration: sarifLevel{Level: sarifLevelFor(f.Severity)},
		Properties: map[string]any{
			"tags":              []string{"vulnerability", "security", string(f.Severity)},
			"precision":         "very-high",
			"security-severity": securitySeverity(f.Severity),
		},
	}
}

func resultMessage(r *vuln.Report, f vuln.Finding) string {
	return fmt.Sprintf("Package: %s\nInstalled Version: %s\nVulnerability %s\nSeverity: %s\nFixed Version: %s\nImage: %s\nLink: [%s](%s)",
		f.Package, f.Installed, f.ID, f.Severity, orNone(f.Fixed), r.Artifact.Name, f.ID, f.URL)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sarifLevelFor maps severities to SARIF levels.
func sarifLevelFor(s vuln.Severity) string {
	switch s {
	case vuln.Critical, vuln.High:
		return "error"
	case vuln.Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is the score GitHub sorts alerts by; it maps a severity
// to the middle of its CVSS band.
func securitySeverity(s vuln.Severity) string {
	switch s {
	case vuln.Critical:
		return "9.5"
	case vuln.High:
		return "8.0"
	case vuln.Medium:
		return "5.5"
	case vuln.Low:
		return "2.0"
	default:
		return "0.0"
	}
}

// sourceFor picks the repository file of a finding: by package type, then
// class, else its path (or target) in the image.
func sourceFor(f vuln.Finding, sources map[string]string) string {
	for _, k := range []string{f.Type, f.Class} {
		if p, ok := sources[k]; ok && p != "" {
			return filepath.ToSlash(p)
		}
	}
	p := f.Path
	if p == "" {
		p = f.Target
	}
	return strings.TrimPrefix(filepath.ToSlash(p), "/")
}

// lineFinder finds the first line of a repository file naming a package.
type lineFinder struct {
	root  string
	cache map[string][]string
}

func (l lineFinder) find(uri, pkg string) int {
	if l.root == "" || pkg == "" {
		return 1
	}
	lines, ok := l.cache[uri]
	if !ok {
		lines = readLines(filepath.Join(l.root, filepath.FromSlash(uri)))
		l.cache[uri] = lines
	}
	for i, s := range lines {
		if strings.Contains(s, pkg) {
			return i + 1
		}
	}
	return 1
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
