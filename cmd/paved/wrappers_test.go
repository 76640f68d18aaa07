package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The wrappers every service uses, from this package.
const (
	repoRoot        = "../.."
	compositeAction = repoRoot + "/ci/github/action.yml"
	gitlabComponent = repoRoot + "/templates/build-scan-deploy.yml"
)

// TestWrapperCommandLines runs the scripts of the GitHub composite action
// and of the GitLab component with a paved that records its arguments, for
// the defaults and for each input set on its own, and parses every command
// line they build with the CLI's own flag parsing. The install step is left
// out (it runs no paved verb and downloads a release); the real runners run
// it in the wrapper tests (make wrappers-test).
func TestWrapperCommandLines(t *testing.T) {
	t.Run("github", func(t *testing.T) { requireAccepted(t, githubCommandLines(t, compositeAction)) })
	t.Run("gitlab", func(t *testing.T) { requireAccepted(t, gitlabCommandLines(t, gitlabComponent)) })
}

// TestWrapperCommandLinesCatchAnUnknownFlag: a wrapper that passes a flag
// paved does not have fails the check, naming the flag.
func TestWrapperCommandLinesCatchAnUnknownFlag(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		lines      func(*testing.T, string) []commandLine
	}{
		{"github", compositeAction, githubCommandLines},
		{"gitlab", gitlabComponent, gitlabCommandLines},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			require.NoError(t, err)
			broken := bytes.ReplaceAll(data, []byte("run build-scan-deploy"), []byte("run build-scan-deploy --no-such-flag"))
			require.NotEqual(t, data, broken, "the wrapper runs paved run build-scan-deploy")
			file := filepath.Join(t.TempDir(), filepath.Base(tc.file))
			require.NoError(t, os.WriteFile(file, broken, 0o644))
			var refused []string
			for _, l := range tc.lines(t, file) {
				if err := parseCommandLine(l.argv); err != nil {
					refused = append(refused, err.Error())
				}
			}
			require.NotEmpty(t, refused)
			for _, msg := range refused {
				require.Contains(t, msg, "unknown flag: --no-such-flag")
			}
		})
	}
}

// commandLine is one paved command line a wrapper built, and under which
// inputs.
type commandLine struct {
	where string
	argv  []string
}

func requireAccepted(t *testing.T, lines []commandLine) {
	t.Helper()
	require.NotEmpty(t, lines)
	verbs := map[string]bool{}
	for _, l := range lines {
		require.NoError(t, parseCommandLine(l.argv), "%s builds a command line paved refuses: %q", l.where, l.argv)
		verbs[strings.Join(l.argv[:min(3, len(l.argv))], " ")] = true
	}
	for _, want := range []string{"paved run build-scan-deploy", "paved db update", "paved ci"} {
		ran := false
		for v := range verbs {
			ran = ran || strings.HasPrefix(v, want)
		}
		require.True(t, ran, "no wrapper script ran %s: %v", want, verbs)
	}
}

// sampleInputs are values for the wrappers' inputs, each unlike its
// default. Every input a wrapper declares needs one, so a new input is
// covered as soon as it exists.
var sampleInputs = map[string]string{
	"service":            "services/api",
	"env":                "staging",
	"cosign-key":         "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----",
	"paved-version":      "v9.8.7",
	"release-url":        "https://mirror.example.com/paved/releases",
	"release-public-key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVv3Z",
	"go-version":         "1.26.1",
	"db-dir":             "/srv/paved/db",
	"db-repository":      "127.0.0.1:5000/mirror/trivy-db:2",
	"go-image":           "golang:1.26.1-bookworm",
	"stage":              "build",
	"job-name":           "api-paved",
	"deploy":             "false",
	"artifact-name":      "paved-run-api",
}

// inputCases are the defaults, then each input set on its own.
func inputCases(t *testing.T, defaults map[string]string) []map[string]string {
	t.Helper()
	names := make([]string, 0, len(defaults))
	for name := range defaults {
		names = append(names, name)
	}
	sort.Strings(names)
	cases := []map[string]string{defaults}
	for _, name := range names {
		v, ok := sampleInputs[name]
		require.True(t, ok, "input %q has no sample value in sampleInputs", name)
		c := map[string]string{}
		for k, d := range defaults {
			c[k] = d
		}
		c[name] = v
		cases = append(cases, c)
	}
	return cases
}

func describe(inputs, defaults map[string]string) string {
	var set []string
	for k, v := range inputs {
		if defaults[k] != v {
			set = append(set, k)
		}
	}
	sort.Strings(set)
	if len(set) == 0 {
		return "defaults"
	}
	return strings.Join(set, ",") + " set"
}

// runScript runs script with shell (a command line with {0} for the
// script's file, as GitHub writes it) in dir with env, and fails the test
// when it fails.
func runScript(t *testing.T, shell, script, dir string, env []string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "script.sh")
	require.NoError(t, os.WriteFile(file, []byte(script), 0o755))
	args := strings.Fields(strings.ReplaceAll(shell, "{0}", file))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "running the script:\n%s\n%s", script, out)
}

// readOutputs reads a GITHUB_OUTPUT-style file (NAME=value lines and
// NAME<<DELIM heredocs).
func readOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	out := map[string]string{}
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return out
	}
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(line, "="); ok {
			out[name] = val
		}
	}
	return out
}

// readDocs decodes every YAML document of file.
func readDocs(t *testing.T, data []byte) []yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []yaml.Node
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			require.ErrorContains(t, err, "EOF")
			return docs
		}
		docs = append(docs, n)
	}
}

var expression = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// evaluate replaces the ${{ … }} expressions of s that a wrapper's step
// environment uses: inputs.NAME, steps.ID.outputs.NAME, vars.NAME,
// runner.temp, runner.os, runner.arch, github.action_path,
// github.workspace, 'literals', and a || b. Anything else fails the test, so
// the check never guesses.
func evaluate(t *testing.T, s string, ctx map[string]string) string {
	t.Helper()
	return expression.ReplaceAllStringFunc(s, func(m string) string {
		for _, term := range strings.Split(expression.FindStringSubmatch(m)[1], "||") {
			if v := evaluateTerm(t, strings.TrimSpace(term), ctx); v != "" {
				return v
			}
		}
		return ""
	})
}

func evaluateTerm(t *testing.T, e string, ctx map[string]string) string {
	t.Helper()
	if v, ok := ctx[e]; ok {
		return v
	}
	switch {
	case len(e) >= 2 && strings.HasPrefix(e, "'") && strings.HasSuffix(e, "'"):
		return strings.ReplaceAll(e[1:len(e)-1], "''", "'")
	case strings.HasPrefix(e, "steps."), strings.HasPrefix(e, "vars."):
		return "" // an output the step did not write, a variable not set
	}
	t.Fatalf("the wrapper check cannot evaluate ${{ %s }}: teach evaluate in cmd/paved/wrappers_test.go", e)
	return ""
}
