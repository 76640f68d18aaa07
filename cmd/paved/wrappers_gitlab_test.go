package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// component is the spec document of a GitLab CI/CD component.
type component struct {
	Spec struct {
		Inputs map[string]struct {
			Default any `yaml:"default"`
		} `yaml:"inputs"`
	} `yaml:"spec"`
}

// gitlabJob is the part of a job the check runs.
type gitlabJob struct {
	Extends     string            `yaml:"extends"`
	Variables   map[string]string `yaml:"variables"`
	Script      []string          `yaml:"script"`
	AfterScript []string          `yaml:"after_script"`
}

// extend merges the job it extends into j, as GitLab does for these keys:
// variables merge (j's win), scripts are j's when it has them.
func (j gitlabJob) extend(base gitlabJob) gitlabJob {
	vars := map[string]string{}
	for k, v := range base.Variables {
		vars[k] = v
	}
	for k, v := range j.Variables {
		vars[k] = v
	}
	j.Variables = vars
	if j.Script == nil {
		j.Script = base.Script
	}
	if j.AfterScript == nil {
		j.AfterScript = base.AfterScript
	}
	return j
}

var inputRef = regexp.MustCompile(`\$\[\[\s*inputs\.([\w-]+)\s*\]\]`)

// gitlabCommandLines interpolates the component's inputs into its jobs, as
// GitLab does when a service includes it, and runs each job's script and
// after_script with sh (the job's image may have no bash), once per input
// case. before_script is the install and is left out.
func gitlabCommandLines(t *testing.T, file string) []commandLine {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	spec, body, ok := bytes.Cut(data, []byte("\n---\n"))
	require.True(t, ok, "%s: a component is a spec document, ---, and its jobs", file)
	var c component
	require.NoError(t, yaml.Unmarshal(spec, &c))
	defaults := map[string]string{}
	for name, in := range c.Spec.Inputs {
		defaults[name] = stringValue(in.Default)
	}
	rec := newRecorder(t)
	var lines []commandLine
	for _, inputs := range inputCases(t, defaults) {
		text := inputRef.ReplaceAllStringFunc(string(body), func(m string) string {
			name := inputRef.FindStringSubmatch(m)[1]
			v, ok := inputs[name]
			require.True(t, ok, "%s uses input %q that spec:inputs does not declare", file, name)
			return v
		})
		var jobs map[string]gitlabJob
		require.NoError(t, yaml.Unmarshal([]byte(text), &jobs))
		for name, job := range jobs {
			if strings.HasPrefix(name, ".") {
				continue
			}
			if job.Extends != "" {
				base, ok := jobs[job.Extends]
				require.True(t, ok, "job %s extends %s, which %s does not define", name, job.Extends, file)
				job = job.extend(base)
			}
			lines = append(lines, runJob(t, job, rec, file+" job "+name+" ("+describe(inputs, defaults)+")")...)
		}
	}
	return lines
}

func runJob(t *testing.T, job gitlabJob, rec *recorder, where string) []commandLine {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(), rec.env()...)
	env = append(env, "CI=true", "GITLAB_CI=true", "CI_PROJECT_DIR="+dir, "CI_JOB_ID=7", "CI_PIPELINE_ID=42",
		"CI_JOB_NAME=paved", "CI_REGISTRY_USER=gitlab-ci-token", "CI_REGISTRY_PASSWORD=registry-password")
	// GitLab expands variables in variables ($CI_PROJECT_DIR/...).
	known := map[string]string{"CI_PROJECT_DIR": dir, "CI_JOB_ID": "7", "CI_PIPELINE_ID": "42"}
	for k, v := range job.Variables {
		env = append(env, k+"="+os.Expand(v, func(name string) string { return known[name] }))
	}
	var lines []commandLine
	for _, script := range [][]string{job.Script, job.AfterScript} {
		if len(script) == 0 {
			continue
		}
		runScript(t, "sh -e {0}", strings.Join(script, "\n")+"\n", dir, env)
		for _, argv := range rec.take(t) {
			lines = append(lines, commandLine{where: where, argv: argv})
		}
	}
	return lines
}

func stringValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	out, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(out))
}
