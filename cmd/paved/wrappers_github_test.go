package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// action is the part of a composite action.yml the check reads.
type action struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
}

// githubShells are the shells of GitHub's run steps, as GitHub invokes them.
var githubShells = map[string]string{
	"bash": "bash --noprofile --norc -eo pipefail {0}",
	"sh":   "sh -e {0}",
}

// githubCommandLines runs every run step of the composite action but the
// install step, in order, as GitHub would (the step's env evaluated,
// GITHUB_OUTPUT read back into steps.ID.outputs), once per input case.
func githubCommandLines(t *testing.T, file string) []commandLine {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var a action
	require.NoError(t, yaml.Unmarshal(data, &a))
	require.Equal(t, "composite", a.Runs.Using)
	defaults := map[string]string{}
	for name, in := range a.Inputs {
		defaults[name] = in.Default
	}
	rec := newRecorder(t)
	var lines []commandLine
	for _, inputs := range inputCases(t, defaults) {
		lines = append(lines, runAction(t, a, file, inputs, rec, describe(inputs, defaults))...)
	}
	return lines
}

func runAction(t *testing.T, a action, file string, inputs map[string]string, rec *recorder, where string) []commandLine {
	t.Helper()
	work, temp := t.TempDir(), t.TempDir()
	ctx := map[string]string{
		"runner.temp": temp, "runner.os": "Linux", "runner.arch": "X64",
		"github.action_path": filepath.Dir(file), "github.workspace": work,
	}
	for name, v := range inputs {
		ctx["inputs."+name] = v
	}
	var lines []commandLine
	for i, s := range a.Runs.Steps {
		if s.Run == "" || s.ID == "install" {
			continue
		}
		shell, ok := githubShells[s.Shell]
		require.True(t, ok, "step %d of %s: shell %q", i, file, s.Shell)
		files := map[string]string{}
		env := append(os.Environ(), rec.env()...)
		for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"} {
			files[k] = filepath.Join(t.TempDir(), k)
			env = append(env, k+"="+files[k])
		}
		env = append(env, "RUNNER_TEMP="+temp, "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "GITHUB_WORKSPACE="+work,
			"GITHUB_ACTION_PATH="+filepath.Dir(file), "GITHUB_RUN_ID=42", "GITHUB_RUN_ATTEMPT=1")
		for k, v := range s.Env {
			env = append(env, k+"="+evaluate(t, v, ctx))
		}
		runScript(t, shell, s.Run, work, env)
		for name, v := range readOutputs(t, files["GITHUB_OUTPUT"]) {
			ctx["steps."+s.ID+".outputs."+name] = v
		}
		for _, argv := range rec.take(t) {
			lines = append(lines, commandLine{where: file + " step " + orValue(s.ID, s.Name) + " (" + where + ")", argv: argv})
		}
	}
	return lines
}
