package candidate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/paved-dev/paved/ci/runner"
	"github.com/paved-dev/paved/release/apps"
)

// Runners are the CI runners' binaries (hack/tools.sh act, gitlab-ci-local).
type Runners struct {
	Act, GitLabCILocal string
}

// Wrappers runs each app through its own CI file (apps.App.CI) with the
// real runner (ci/runner): paved's wrappers come from the build's tree,
// pinned to the build's release, which the wrappers install from a local
// server, verified as in production. A wrapper that breaks fails the run at
// the wrapper step; paved's own failures are paved's.
type Wrappers struct {
	Runners Runners
	// Key signs each build's release files with Password (the harness's
	// key; its .pub is the public key the wrappers pin).
	Key      string
	Password func() ([]byte, error)
	// Dir holds the releases.
	Dir string

	mu       sync.Mutex
	releases map[string]*served
}

type served struct {
	rel    *runner.Release
	server *runner.Server
}

// release releases p once per Check: its tree, pinned to it, and its files.
func (w *Wrappers) release(ctx context.Context, p Paved) (*served, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := p.Version + "@" + p.Binary
	if s, ok := w.releases[key]; ok {
		return s, nil
	}
	if p.Tree == "" {
		return nil, fmt.Errorf("releasing paved %s: no source tree to take its wrappers from", p.Version)
	}
	dir := filepath.Join(w.Dir, "releases", fmt.Sprint(len(w.releases)))
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	rel, err := runner.NewRelease(ctx, runner.ReleaseOptions{
		Source: p.Tree, Version: p.Version, Binary: p.Binary, Dir: dir,
		Key: w.Key, PublicKey: pubKey(w.Key), Password: w.Password,
	})
	if err != nil {
		return nil, fmt.Errorf("releasing paved %s for its wrappers: %w", p.Version, err)
	}
	if w.releases == nil {
		w.releases = map[string]*served{}
	}
	s := &served{rel: rel, server: runner.Serve(rel)}
	w.releases[key] = s
	return s, nil
}

// Close stops the release servers.
func (w *Wrappers) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.releases {
		s.server.Close()
	}
}

// RunApp implements Runner.
func (w *Wrappers) RunApp(ctx context.Context, r AppRun) (RunResult, error) {
	s, err := w.release(ctx, r.Paved)
	if err != nil {
		return RunResult{}, err
	}
	svc := filepath.Join(r.Work, "service")
	origin := s.server.URL() + "/acme/" + r.App.Name + ".git"
	if err := runner.NewService(ctx, runner.ServiceOptions{
		App: r.Dir, Dir: svc, Registry: r.Registry, Policy: r.Policy, Key: r.Key, GitOps: r.GitOps,
		Date: r.Date, Origin: origin,
	}); err != nil {
		return RunResult{}, err
	}
	key, err := os.ReadFile(r.Key)
	if err != nil {
		return RunResult{}, fmt.Errorf("reading signing key %q: %w", r.Key, err)
	}
	password, err := w.Password()
	if err != nil {
		return RunResult{}, err
	}
	// The platform team's variables, also in the runner's environment
	// (a self-hosted runner's, a job's env:), where a workflow that calls
	// the composite action directly passes them on.
	env := append(append([]string{}, r.Env...), "PAVED_RELEASE_URL="+s.server.ReleaseURL(), "PAVED_DB_REPOSITORY="+r.Mirror)
	spec := runner.Service{Dir: svc, Env: env,
		// The service's repository secrets and the platform team's variables.
		Secrets: map[string]string{"COSIGN_KEY": string(key), "COSIGN_PASSWORD": string(password)},
		Vars:    map[string]string{"PAVED_RELEASE_URL": s.server.ReleaseURL(), "PAVED_DB_REPOSITORY": r.Mirror},
	}
	var run *runner.Run
	var records string
	switch r.App.CI {
	case apps.GitHub:
		run, err = runner.GitHub(ctx, s.rel, spec, runner.GitHubOptions{Act: w.Runners.Act, Dir: filepath.Join(r.Work, "ci"), CacheDir: filepath.Join(r.Work, "cache")})
		records = filepath.Join(r.Work, "ci", "standins", "artifacts", "paved-run-*", "paved-run.json")
	default:
		refs, err := runner.ComponentRefs(svc)
		if err != nil {
			return RunResult{}, err
		}
		if err := s.rel.Alias(ctx, refs...); err != nil {
			return RunResult{}, err
		}
		run, err = runner.GitLab(ctx, spec, runner.GitLabOptions{GitLabCILocal: w.Runners.GitLabCILocal, Dir: filepath.Join(r.Work, "ci"), ShellExecutor: true})
		records = filepath.Join(svc, "paved-out", "*", "paved-run.json")
	}
	if err != nil {
		return RunResult{}, err
	}
	res, err := result(run, records, svc)
	res.Source = origin
	return res, err
}

// result reads how a wrapper run ended: paved's exit code from its record,
// else the failing step's, with the error line paved or its installer
// printed; a failure without paved's own error line is the wrapper's.
func result(run *runner.Run, records, svc string) (RunResult, error) {
	res := RunResult{Output: run.Output, Dir: svc}
	files, err := filepath.Glob(records)
	if err != nil {
		return RunResult{}, err
	}
	code, msg := run.Failure()
	if len(files) == 0 {
		res.ExitCode, res.Message = code, msg
		res.Wrapper = !strings.HasPrefix(msg, "paved: ")
		if res.Message == "" {
			res.Message = fmt.Sprintf("the wrapper failed (exit %d) before paved wrote a run record", run.ExitCode)
		}
		return res, nil
	}
	res.RecordFile = files[0]
	var rec struct {
		Failure *struct {
			ExitCode int `json:"exitCode"`
		} `json:"failure"`
	}
	data, err := os.ReadFile(res.RecordFile)
	if err == nil && json.Unmarshal(data, &rec) == nil && rec.Failure != nil {
		res.ExitCode = rec.Failure.ExitCode
		return res, nil
	}
	if run.ExitCode != 0 {
		// paved passed and the job did not: the wrapper broke after it.
		res.ExitCode, res.Message, res.Wrapper = code, msg, true
	}
	return res, nil
}
