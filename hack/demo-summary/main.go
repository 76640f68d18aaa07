// Command demo-summary prints the table that ends `make demo`: one row per
// run record (paved.dev/run-record/v1) given as an argument. It reads only
// the record's JSON, so it builds in a second without paved's dependencies.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

type record struct {
	SchemaVersion string `json:"schemaVersion"`
	Service       string `json:"service"`
	Env           string `json:"env"`
	TraceID       string `json:"traceId"`
	Status        string `json:"status"`
	Image         string `json:"image"`
	Steps         []struct {
		Name    string `json:"name"`
		Outputs struct {
			Digest       string         `json:"digest"`
			Findings     map[string]int `json:"findings"`
			GatePassed   *bool          `json:"gatePassed"`
			Signature    string         `json:"signature"`
			GitOpsCommit string         `json:"gitopsCommit"`
		} `json:"outputs"`
	} `json:"steps"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: demo-summary paved-run.json...")
		os.Exit(2)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SERVICE\tENV\tSTATUS\tDIGEST\tFINDINGS\tSIGNATURE\tGITOPS COMMIT\tTRACE ID")
	for _, path := range os.Args[1:] {
		r, err := read(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "demo-summary: reading run record %q: %v\n", path, err)
			os.Exit(1)
		}
		row(w, r)
	}
	w.Flush()
	fmt.Println()
	for _, path := range os.Args[1:] {
		fmt.Printf("reports of %s: %s\n", filepath.Base(filepath.Dir(path)), filepath.Dir(path))
	}
}

func read(path string) (*record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if r.SchemaVersion != "paved.dev/run-record/v1" {
		return nil, fmt.Errorf("schemaVersion %q is not paved.dev/run-record/v1", r.SchemaVersion)
	}
	return &r, nil
}

func row(w *tabwriter.Writer, r *record) {
	var digest, findings, signature, commit = "-", "-", "-", "-"
	var found map[string]int
	var passed *bool
	for _, s := range r.Steps {
		o := s.Outputs
		if o.Digest != "" && digest == "-" {
			digest = short(o.Digest, 19)
		}
		if o.Findings != nil {
			found = o.Findings
		}
		if o.GatePassed != nil {
			passed = o.GatePassed
		}
		if o.Signature != "" {
			signature = "signed"
		}
		if o.GitOpsCommit != "" {
			commit = short(o.GitOpsCommit, 12)
		}
	}
	if found != nil || passed != nil {
		findings = counts(found, passed)
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, r.Env, r.Status, digest, findings, signature, commit, r.TraceID)
}

func counts(m map[string]int, passed *bool) string {
	var parts []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
		}
	}
	s := strings.Join(parts, ",")
	if s == "" {
		s = "none"
	}
	if passed != nil && *passed {
		return s + " (gate passed)"
	}
	if passed != nil {
		return s + " (gate FAILED)"
	}
	return s
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
