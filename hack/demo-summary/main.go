// Command demo-summary prints the table that ends `make demo`: one row per
// run record (paved.dev/run-record/v1) given as an argument. It decodes the
// record with package record, which imports only the standard library, so
// it builds in a second without paved's scanners.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/paved-dev/paved/pipelines/record"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: demo-summary paved-run.json...")
		os.Exit(2)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SERVICE\tENV\tSTATUS\tDIGEST\tFINDINGS\tSIGNATURE\tGITOPS COMMIT\tTRACE ID")
	for _, path := range os.Args[1:] {
		r, err := record.Read(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "demo-summary: %v\n", err)
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

func row(w *tabwriter.Writer, r *record.Run) {
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
