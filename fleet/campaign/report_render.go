package campaign

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
)

// WriteText writes the report as text: the campaign's state and reason,
// the current wave's gate, one line per wave, a table of the services
// (change, CI result, deploy) and one line per service the campaign waits
// for or halted on.
func (r *Report) WriteText(w io.Writer) error {
	c := r.Campaign
	fmt.Fprintf(w, "campaign %s: %s, %s, wave %s\n", c.ID, c.State, DescribeTarget(c.Target), r.WaveName())
	if c.Reason != "" {
		fmt.Fprintf(w, "reason: %s\n", c.Reason)
	}
	if g := r.Gate; g.Wave != "" && c.State == Running {
		fmt.Fprintf(w, "gate of wave %s: %d of %d merged healthy (need %g)", g.Wave, len(g.OK), g.Merged, c.Health.Ratio)
		if len(g.Unsettled) > 0 {
			fmt.Fprintf(w, "; not merged yet: %s", strings.Join(g.Unsettled, ", "))
		}
		if len(g.Missing) > 0 {
			fmt.Fprintf(w, "; no run yet from: %s", strings.Join(g.Missing, ", "))
		}
		fmt.Fprintln(w)
	}
	if c.Denial != nil {
		fmt.Fprintf(w, "policy denies %s from %s (commit %s)\n", c.Denial.Image, c.Denial.From, c.Denial.Commit)
	}
	if r.DeploysError != "" {
		fmt.Fprintf(w, "deploys: not read: %s\n", r.DeploysError)
	}
	for i, wr := range r.Waves {
		fmt.Fprintf(w, "wave %d/%d %s: %s, %d services\n", i+1, len(r.Waves), wr.Name, wr.State, len(wr.Services))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tWAVE\tSTATUS\tHEALTH\tEVIDENCE\tCHANGE\tDEPLOY")
	var whys []string
	for _, wr := range r.Waves {
		for _, s := range wr.Services {
			change := strings.TrimSpace(s.Change + " " + s.ChangeURL)
			if s.Revert != "" {
				change += " (reverted by " + s.Revert + ")"
			}
			health := s.Health
			if s.Step != "" {
				health += " at " + s.Step
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, wr.Name, s.Status, cmp.Or(health, "-"), cmp.Or(s.CI, "-"), cmp.Or(change, "-"), cmp.Or(s.Deploy, "-"))
			if s.Why != "" {
				whys = append(whys, "  "+s.Name+": "+s.Why)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(whys) > 0 {
		verb := "waits for"
		if c.State == Halted {
			verb = "halted on"
		}
		fmt.Fprintf(w, "the campaign %s:\n%s\n", verb, strings.Join(whys, "\n"))
	}
	return nil
}

// DescribeTarget says what a campaign moves: "paved → v0.3.0",
// "base python-base:1.0 → …".
func DescribeTarget(t rewrite.Target) string {
	if t.From == "" {
		return fmt.Sprintf("%s → %s", t.Kind, t.To)
	}
	return fmt.Sprintf("%s %s → %s", t.Kind, t.From, t.To)
}

// WaveName is the current wave as "2/3 NAME", or "(not started)".
func (r *Report) WaveName() string {
	c := r.Campaign
	if c.Wave < 0 || c.Wave >= len(c.Waves) {
		return "(not started)"
	}
	return fmt.Sprintf("%d/%d %s", c.Wave+1, len(c.Waves), c.Waves[c.Wave].Name)
}

//go:embed report.html.tmpl
var reportTemplates embed.FS

var reportHTML = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"time": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).ParseFS(reportTemplates, "report.html.tmpl"))

// WriteHTML writes the report as a self-contained static page: no
// script, no external resource; every link is the forge's or the CI's.
func (r *Report) WriteHTML(w io.Writer) error {
	return reportHTML.Execute(w, r)
}
