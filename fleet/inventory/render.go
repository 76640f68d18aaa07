package inventory

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the inventory as indented JSON (schema Schema).
func (inv *Inventory) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// WriteTable writes one row per service (name order): paved version and
// status, source bases, deployed bases per environment, and why it is
// blocked or unreadable; then the query's answer, if any.
func (inv *Inventory) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTEAM\tTIER\tPAVED\tSTATUS\tBASES\tDEPLOYED BASES\tBLOCKED")
	for _, s := range inv.Services {
		blocked := strings.Join(s.Blocked, "; ")
		if s.Error != "" {
			blocked = s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, dash(s.Team), dash(s.Tier), dash(s.Paved), s.Status,
			dash(strings.Join(s.SourceBases(), ", ")), dash(strings.Join(s.DeployedBases(), ", ")), dash(blocked))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := inv.Counts()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	fmt.Fprintf(w, "\n%d services (%s), %d blocked; latest paved %s\n", len(inv.Services), strings.Join(parts, ", "), inv.Blocked(), dash(inv.Latest))
	if inv.GitOps != nil && inv.GitOps.Error != "" {
		fmt.Fprintf(w, "GitOps repository not read: %s\n", inv.GitOps.Error)
	}
	if inv.Query != nil {
		return inv.Query.writeTable(w)
	}
	return nil
}

func (m *Matches) writeTable(w io.Writer) error {
	fmt.Fprintf(w, "\nServices using %s in their sources: %d\n", m.UsesBase, len(m.Sources))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range m.Sources {
		fmt.Fprintf(tw, "  %s\t%s:%d\t%s\n", s.Service, s.File, s.Line, s.Image)
	}
	tw.Flush()
	fmt.Fprintf(w, "Deployments built on %s: %d\n", m.UsesBase, len(m.Deployed))
	for _, d := range m.Deployed {
		fmt.Fprintf(tw, "  %s\t%s\t%s@%s\t%s\n", d.Service, d.Environment, d.Image, short(d.Digest), d.Base)
	}
	return tw.Flush()
}

// SourceBases returns the distinct base images of the service's sources.
func (s Service) SourceBases() []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range s.Bases {
		if img := b.Image(); !seen[img] {
			seen[img] = true
			out = append(out, img)
		}
	}
	return out
}

// DeployedBases returns env=base for every deployment whose base is known.
func (s Service) DeployedBases() []string {
	var out []string
	for _, d := range s.Deployed {
		if d.Base != "" {
			out = append(out, d.Environment+"="+d.Base)
		}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}

//go:embed dashboard.html.tmpl
var templates embed.FS

var dashboard = template.Must(template.New("dashboard.html.tmpl").Funcs(template.FuncMap{
	"short": short,
	"join":  strings.Join,
	"deployment": func(s Service, env string) *Deployment {
		for i := range s.Deployed {
			if s.Deployed[i].Environment == env {
				return &s.Deployed[i]
			}
		}
		return nil
	},
}).ParseFS(templates, "dashboard.html.tmpl"))

// Environments returns the GitOps repository's environments, sorted; none
// when it was not read.
func (inv *Inventory) Environments() []string {
	if inv.GitOps == nil {
		return nil
	}
	return inv.GitOps.Environments
}

// WriteHTML writes a self-contained static dashboard: no script, no
// external resource.
func (inv *Inventory) WriteHTML(w io.Writer) error {
	return dashboard.Execute(w, inv)
}
