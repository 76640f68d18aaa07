package snapshot

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Difference is one way two runs' outputs differ. For a set (packages,
// attestations, env, labels, GitOps lines) Baseline holds what only the
// baseline has and Candidate what only the candidate has; otherwise each
// holds its run's value.
type Difference struct {
	// Step is the step that produces the aspect (build, sbom, scan, gate,
	// attest, record, deploy, or any step for status).
	Step string `json:"step"`
	// Aspect names what differs: status, exitCode (step cli: paved's
	// exit code), config.env, config.entrypoint, config.cmd, config.user,
	// config.workingDir, config.exposedPorts, config.labels, annotations,
	// layers, packages, findings, verdict, attestations, gitops.
	Aspect    string `json:"aspect"`
	Baseline  string `json:"baseline"`
	Candidate string `json:"candidate"`
}

// Aspects are every aspect Diff reports, for checking the change notes.
var Aspects = []string{
	"status", "exitCode", "config.env", "config.entrypoint", "config.cmd", "config.user",
	"config.workingDir", "config.exposedPorts", "config.labels", "annotations", "layers",
	"packages", "findings", "verdict", "attestations", "gitops",
}

// Key is the difference's name in change notes: APP/STEP/ASPECT.
func (d Difference) Key(app string) string { return app + "/" + d.Step + "/" + d.Aspect }

// Diff compares the baseline's and the candidate's snapshots of one app,
// in step order.
func Diff(base, cand *Snapshot) []Difference {
	var out []Difference
	add := func(step, aspect, b, c string) {
		if b != c {
			out = append(out, Difference{Step: step, Aspect: aspect, Baseline: b, Candidate: c})
		}
	}
	addSet := func(step, aspect string, b, c []string) {
		onlyB, onlyC := setDelta(b, c)
		if onlyB != "" || onlyC != "" {
			out = append(out, Difference{Step: step, Aspect: aspect, Baseline: onlyB, Candidate: onlyC})
		}
	}
	for _, name := range stepNames(base, cand) {
		add(name, "status", stepStatus(base, name), stepStatus(cand, name))
	}
	add(StepCLI, "exitCode", strconv.Itoa(base.ExitCode), strconv.Itoa(cand.ExitCode))
	bi, ci := orEmpty(base.Image), orEmpty(cand.Image)
	addSet("build", "config.env", bi.Env, ci.Env)
	add("build", "config.entrypoint", list(bi.Entrypoint), list(ci.Entrypoint))
	add("build", "config.cmd", list(bi.Cmd), list(ci.Cmd))
	add("build", "config.user", bi.User, ci.User)
	add("build", "config.workingDir", bi.WorkingDir, ci.WorkingDir)
	add("build", "config.exposedPorts", list(bi.ExposedPorts), list(ci.ExposedPorts))
	addSet("build", "config.labels", pairs(bi.Labels), pairs(ci.Labels))
	addSet("build", "annotations", pairs(bi.Annotations), pairs(ci.Annotations))
	add("build", "layers", list(bi.Layers), list(ci.Layers))
	addSet("sbom", "packages", base.Packages, cand.Packages)
	add("scan", "findings", findings(base.Findings), findings(cand.Findings))
	add("gate", "verdict", gate(base.Gate), gate(cand.Gate))
	for _, step := range slices.Sorted(maps.Keys(mergeKeys(base.Attestations, cand.Attestations))) {
		addSet(step, "attestations", base.Attestations[step], cand.Attestations[step])
	}
	addSet("deploy", "gitops", changedLines(base.GitOps), changedLines(cand.GitOps))
	return out
}

// stepNames are both runs' steps, the baseline's order first.
func stepNames(base, cand *Snapshot) []string {
	var names []string
	for _, s := range append(slices.Clone(base.Steps), cand.Steps...) {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names
}

func stepStatus(s *Snapshot, name string) string {
	st := s.Step(name)
	switch {
	case st == nil:
		return "absent"
	case st.Status == StatusFailed && st.Error != "":
		return "failed: " + st.Error
	}
	return st.Status
}

func orEmpty(i *Image) *Image {
	if i == nil {
		return &Image{}
	}
	return i
}

func list(s []string) string { return strings.Join(s, " ") }

func pairs(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func mergeKeys(a, b map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func findings(m map[string]int) string {
	var parts []string
	for _, sev := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"} {
		if n := m[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", sev, n))
		}
	}
	if m != nil && len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func gate(g *Gate) string {
	switch {
	case g == nil:
		return ""
	case g.Passed:
		return "passed"
	}
	return "failed: " + strings.Join(g.Failing, ", ")
}

// changedLines are a unified diff's added and removed lines, each after
// its file's name (the context's extent follows from them).
func changedLines(diff string) []string {
	var out []string
	file := ""
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "+++ "):
			file = strings.TrimPrefix(strings.TrimPrefix(l, "+++ "), "b/")
		case strings.HasPrefix(l, "--- "):
		case strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-"):
			out = append(out, file+": "+l)
		}
	}
	return out
}

// setDelta renders what only a has and what only b has, "; "-separated
// in sorted order.
func setDelta(a, b []string) (onlyA, onlyB string) {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		inA[x] = true
	}
	for _, x := range b {
		inB[x] = true
	}
	var oa, ob []string
	for x := range inA {
		if !inB[x] {
			oa = append(oa, x)
		}
	}
	for x := range inB {
		if !inA[x] {
			ob = append(ob, x)
		}
	}
	slices.Sort(oa)
	slices.Sort(ob)
	return strings.Join(oa, "; "), strings.Join(ob, "; ")
}
