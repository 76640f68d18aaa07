package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
}

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
	args = append(args, o.Jobs...)
	cmd := exec.CommandContext(ctx, o.GitLabCILocal, args...)
	cmd.Dir = svc.Dir
	cmd.Env = svc.Env
	return finish(cmd, o.Dir)
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
