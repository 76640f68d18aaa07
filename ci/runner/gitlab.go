package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// GitLabOptions run a service's .gitlab-ci.yml.
type GitLabOptions struct {
	// GitLabCILocal is the gitlab-ci-local binary (hack/tools.sh
	// gitlab-ci-local).
	GitLabCILocal string
	// Jobs are the jobs to run (default: the whole pipeline).
	Jobs []string
	// Dir is this run's directory: gitlab-ci-local's HOME, whose
	// variables file holds the group's CI/CD variables and secrets.
	Dir string
	// Args are more gitlab-ci-local flags (--variable CI_PIPELINE_SOURCE=…).
	Args []string
	// ShellExecutor runs the component's jobs on this machine: the shell
	// executor runs only jobs without an image (there is no container
	// engine here). The pipeline is first listed as the service wrote it,
	// which validates it against GitLab's schema; then a job definition
	// merged into the component's, as GitLab merges it, clears its image
	// (which the schema would refuse: validation is off for that run).
	ShellExecutor bool
}

// componentJob is the component's job name when an include sets none.
const componentJob = "paved-build-scan-deploy"

// GitLab runs the service's pipeline with gitlab-ci-local and its shell
// executor, in the service's directory. The service's origin must be on
// server (NewService with Origin server.URL()+"/GROUP/NAME.git"): that makes
// CI_SERVER_FQDN the server's address, so the service's
// component: $CI_SERVER_FQDN/paved-dev/paved/…@VERSION include resolves to
// the release tree the server serves, fetched by gitlab-ci-local over HTTP
// like from a GitLab instance. Secrets and Vars become the group's CI/CD
// variables.
func GitLab(ctx context.Context, svc Service, o GitLabOptions) (*Run, error) {
	home := filepath.Join(o.Dir, "home")
	vars := map[string]string{}
	for k, v := range svc.Vars {
		vars[k] = v
	}
	for k, v := range svc.Secrets {
		vars[k] = v
	}
	if err := writeGitLabVariables(filepath.Join(home, ".gitlab-ci-local", "variables.yml"), vars); err != nil {
		return nil, err
	}
	args := append([]string{"--cwd", ".", "--home", home, "--shell-executor-no-image", "--no-color"}, o.Args...)
	if o.ShellExecutor {
		list, err := gitlabCILocal(ctx, svc, o, append(args, "--list"))
		if err != nil || list.ExitCode != 0 {
			return list, err
		}
		if err := clearImages(ctx, svc.Dir); err != nil {
			return nil, err
		}
		args = append(args, "--json-schema-validation=false")
	}
	return gitlabCILocal(ctx, svc, o, append(args, o.Jobs...))
}

func gitlabCILocal(ctx context.Context, svc Service, o GitLabOptions, args []string) (*Run, error) {
	cmd := exec.CommandContext(ctx, o.GitLabCILocal, args...)
	cmd.Dir = svc.Dir
	cmd.Env = svc.Env
	return finish(cmd, o.Dir)
}

// includes reads the service's includes of paved's component.
func includes(dir string) ([]include, error) {
	file := filepath.Join(dir, ".gitlab-ci.yml")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", file, err)
	}
	var ci struct {
		Include []include `yaml:"include"`
	}
	if err := yaml.Unmarshal(data, &ci); err != nil {
		return nil, fmt.Errorf("reading %q: %w", file, err)
	}
	var out []include
	for _, inc := range ci.Include {
		if strings.Contains(inc.Component, "/"+Project+"/") {
			out = append(out, inc)
		}
	}
	return out, nil
}

type include struct {
	Component string            `yaml:"component"`
	Inputs    map[string]string `yaml:"inputs"`
}

// ComponentRefs are the refs the service's .gitlab-ci.yml includes paved's
// component at (…/paved-dev/paved/build-scan-deploy@REF).
func ComponentRefs(dir string) ([]string, error) {
	incs, err := includes(dir)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, inc := range incs {
		if _, ref, ok := strings.Cut(inc.Component, "@"); ok {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// clearImages adds to the service's .gitlab-ci.yml, for each include of
// paved's component, a definition of the component's hidden job (.JOB-NAME)
// without an image, and commits it.
func clearImages(ctx context.Context, dir string) error {
	file := filepath.Join(dir, ".gitlab-ci.yml")
	incs, err := includes(dir)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("\n# The shell executor runs jobs without an image (ci/runner).\n")
	for _, inc := range incs {
		job := inc.Inputs["job-name"]
		if job == "" {
			job = componentJob
		}
		fmt.Fprintf(&b, "%q:\n  image: null\n", "."+job)
	}
	if err := os.WriteFile(file, append(data, b.String()...), 0o644); err != nil {
		return err
	}
	// On the service commit's date: the same service gives the same
	// commit in every run (the release harness compares two runs).
	date, err := git(ctx, dir, "log", "-1", "--format=%ct")
	if err != nil {
		return fmt.Errorf("reading the date of %q's HEAD: %w: %s", dir, err, date)
	}
	// Only the file: gitlab-ci-local keeps its state in the work tree.
	return commitAt(ctx, dir, "run the jobs without an image (shell executor)", date+" +0000", ".gitlab-ci.yml")
}

// writeGitLabVariables writes gitlab-ci-local's variables file: every
// value a plain (not file) variable for every environment.
func writeGitLabVariables(path string, vars map[string]string) error {
	var b strings.Builder
	b.WriteString("global:\n")
	for _, k := range sortedKeys(vars) {
		v, err := json.Marshal(vars[k]) // a JSON string is a YAML double-quoted scalar
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "  %s:\n    type: variable\n    values:\n      \"*\": %s\n", k, v)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
