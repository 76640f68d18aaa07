package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Service is a service repository to run its CI for.
type Service struct {
	// Dir is the service's git repository, CI files at its root.
	Dir string
	// Secrets are GitHub secrets (-s) or GitLab masked variables; Vars
	// GitHub variables (vars.NAME) or GitLab CI/CD variables.
	Secrets, Vars map[string]string
	// Env is the runner's environment (PATH, HOME, Go and npm caches…);
	// in host mode act passes it to the steps, as a self-hosted runner's
	// environment reaches its jobs.
	Env []string
}

// Run is how a wrapper run ended.
type Run struct {
	// ExitCode is the runner's: 0 when the job passed.
	ExitCode int
	// Output is the runner's combined output.
	Output string
	// Dir holds what the stand-ins kept: artifacts/NAME, sarif/*.sarif.
	Dir string
	// Records are what the stand-ins were given, in order.
	Records []Record
}

// GitHubOptions run a service's GitHub workflow.
type GitHubOptions struct {
	// Act is the act binary (hack/tools.sh act).
	Act string
	// Workflow is the workflow file, relative to the service
	// (default .github/workflows/paved.yml).
	Workflow string
	// Dir is this run's directory; CacheDir the GitHub cache the
	// cache stand-ins restore from and save to (shared by runs that
	// should see each other's caches).
	Dir, CacheDir string
	// PullRequest, when set, runs the workflow on a pull_request event
	// of that head branch into main (the change's CI, which never
	// deploys) instead of a push to main.
	PullRequest *PullRequest
}

// PullRequest is the pull request a pull_request event is for.
type PullRequest struct {
	// Number is the pull request's number; Head its branch and HeadSHA
	// the commit the run checks out.
	Number        int
	Head, HeadSHA string
}

// event is act's event name and payload for o.
func (o GitHubOptions) event() (string, []byte, error) {
	if o.PullRequest == nil {
		return "push", []byte(`{"ref":"refs/heads/main","repository":{"default_branch":"main"}}`), nil
	}
	p := o.PullRequest
	payload, err := json.Marshal(map[string]any{
		"number": p.Number, "repository": map[string]string{"default_branch": "main"},
		"pull_request": map[string]any{"number": p.Number,
			"head": map[string]string{"ref": p.Head, "sha": p.HeadSHA}, "base": map[string]string{"ref": "main"}},
	})
	return "pull_request", payload, err
}

var usesRef = regexp.MustCompile(`uses:\s*['"]?([\w.-]+/[\w.-]+)(?:/[^@\s'"]*)?@([^\s'"#]+)`)

// GitHub runs the service's workflow on a push to main (or o.PullRequest)
// with act in host mode: paved-dev/paved@VERSION resolves to rel's tree, the hosted actions
// to the stand-ins, anything else is refused.
func GitHub(ctx context.Context, rel *Release, svc Service, o GitHubOptions) (*Run, error) {
	if o.Workflow == "" {
		o.Workflow = ".github/workflows/paved.yml"
	}
	keep := filepath.Join(o.Dir, "standins")
	actions, err := writeStandins(keep)
	if err != nil {
		return nil, err
	}
	repos, err := localRepositories(rel, actions, filepath.Join(svc.Dir, o.Workflow))
	if err != nil {
		return nil, err
	}
	name, payload, err := o.event()
	if err != nil {
		return nil, err
	}
	event := filepath.Join(o.Dir, "event.json")
	if err := os.WriteFile(event, payload, 0o644); err != nil {
		return nil, err
	}
	secrets := filepath.Join(o.Dir, "secrets.env")
	if err := writeDotenv(secrets, svc.Secrets); err != nil {
		return nil, err
	}
	args := []string{name, "--workflows", o.Workflow, "-P", "ubuntu-latest=-self-hosted",
		"--no-skip-checkout", "--no-cache-server", "--action-offline-mode", "--defaultbranch", "main",
		"--eventpath", event, "--action-cache-path", filepath.Join(o.Dir, "act"), "--secret-file", secrets}
	for _, r := range repos {
		args = append(args, "--local-repository", r)
	}
	for _, k := range sortedKeys(svc.Vars) {
		args = append(args, "--var", k+"="+svc.Vars[k])
	}
	cmd := exec.CommandContext(ctx, o.Act, args...)
	cmd.Dir = svc.Dir
	cmd.Env = append(append([]string{}, svc.Env...), "PAVED_STANDINS="+keep,
		"PAVED_STANDIN_SOURCE="+svc.Dir, "PAVED_STANDIN_CACHE="+o.CacheDir)
	return finish(cmd, keep)
}

// localRepositories maps every uses: of the workflow and of paved's
// wrappers to a local directory: paved's own to the release tree, hosted
// actions to their stand-ins.
func localRepositories(rel *Release, actions string, workflow string) ([]string, error) {
	files, _ := filepath.Glob(filepath.Join(rel.Tree, ".github", "workflows", "*.yml"))
	files = append(files, filepath.Join(rel.Tree, "ci", "github", "action.yml"), workflow)
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", f, err)
		}
		for _, m := range usesRef.FindAllStringSubmatch(string(data), -1) {
			repo, ref := m[1], m[2]
			dir := ""
			switch {
			case repo == Project:
				dir = rel.Tree
			case standins[repo] != "":
				dir = filepath.Join(actions, standins[repo])
			default:
				return nil, fmt.Errorf("%s uses %s@%s, which is hosted and has no stand-in in ci/runner/standins", f, repo, ref)
			}
			if key := repo + "@" + ref + "=" + dir; !seen[key] {
				seen[key] = true
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// finish runs cmd and collects what the stand-ins kept in keep.
func finish(cmd *exec.Cmd, keep string) (*Run, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	run := &Run{Output: out.String(), Dir: keep}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		run.ExitCode = exit.ExitCode()
	case err != nil:
		return nil, fmt.Errorf("running %s: %w", cmd.Path, err)
	}
	records, err := readRecords(keep)
	if err != nil {
		return nil, err
	}
	run.Records = records
	return run, nil
}

// writeDotenv writes values as a dotenv file (0600), double-quoted so that
// multi-line values (a PEM key) survive.
func writeDotenv(path string, values map[string]string) error {
	var b strings.Builder
	for _, k := range sortedKeys(values) {
		fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(values[k]))
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
