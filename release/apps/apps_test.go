package apps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

const validApps = `apiVersion: paved.dev/v1
kind: ReferenceApps
apps:
  - name: go-api
    path: examples/reference-apps/go-api
    commit: 178d000496e59bb416b54b845e11e9bb5f8bba19
    wrapper: {service: ., env: dev}
`

func TestParse(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{name: "valid", yaml: validApps},
		{name: "wrong kind", yaml: strings.Replace(validApps, "ReferenceApps", "Service", 1), wantErr: "want apiVersion"},
		{name: "unknown key", yaml: validApps + "    quarantin: {}\n", wantErr: "quarantin"},
		{name: "short commit", yaml: strings.Replace(validApps, "178d000496e59bb416b54b845e11e9bb5f8bba19", "178d000", 1), wantErr: "40-digit"},
		{name: "path outside", yaml: strings.Replace(validApps, "examples/reference-apps/go-api", "../go-api", 1), wantErr: "inside the repository"},
		{name: "no service", yaml: strings.Replace(validApps, "service: .,", "", 1), wantErr: "wrapper.service"},
		{name: "quarantine without reason", yaml: validApps + "    quarantine: {until: 2026-01-01}\n", wantErr: "needs a reason"},
		{name: "quarantine bad date", yaml: validApps + "    quarantine: {reason: x, until: soon}\n", wantErr: "YYYY-MM-DD"},
		{name: "twice", yaml: validApps + strings.SplitN(validApps, "apps:\n", 2)[1], wantErr: "listed twice"},
		{name: "no apps", yaml: "apiVersion: paved.dev/v1\nkind: ReferenceApps\n", wantErr: "no apps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse([]byte(tc.yaml))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []string{filepath.Join("x", "go-api"), "--env", "dev"}, a.Apps[0].Wrapper.Args(filepath.Join("x", "go-api")))
		})
	}
}

func TestQuarantine(t *testing.T) {
	a, err := Parse([]byte(validApps + "    quarantine: {reason: flaky mirror, until: 2026-11-30}\n"))
	require.NoError(t, err)
	q := a.Apps[0].Quarantine
	tests := []struct {
		name   string
		now    time.Time
		active bool
	}{
		{"before", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), true},
		{"last day", time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC), true},
		{"expired", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.active, q.Active(tc.now))
			err := a.CheckQuarantines(tc.now)
			if tc.active {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, `app "go-api": quarantine (flaky mirror) expired on 2026-11-30: renew it`)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

// TestQuarantineTooLong: a quarantine reaching more than MaxQuarantine
// ahead is bad input: a quarantine is a short excuse, not a way to drop an
// app from the release for good.
func TestQuarantineTooLong(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		until   string
		wantErr bool
	}{
		{"2026-12-01", false}, // 30 days ahead
		{"2026-12-02", true},
		{"2099-12-31", true},
	}
	for _, tc := range tests {
		t.Run(tc.until, func(t *testing.T) {
			a, err := Parse([]byte(validApps + "    quarantine: {reason: flaky mirror, until: " + tc.until + "}\n"))
			require.NoError(t, err)
			err = a.CheckQuarantines(now)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, `app "go-api": quarantine (flaky mirror) until `+tc.until+` is more than 30 days ahead`)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

func TestSelect(t *testing.T) {
	a, err := Parse([]byte(validApps))
	require.NoError(t, err)
	got, err := a.Select(nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
	_, err = a.Select([]string{"ruby-api"})
	require.ErrorIs(t, err, ErrUnknownApp)
	require.ErrorContains(t, err, `"ruby-api"`)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// TestRepositoryApps checks release/apps.yaml against the tree: every app
// exists, and its wrapper inputs and prepare commands are what its CI
// wrapper files (GitHub workflow, GitLab component include) pass, so the
// harness runs each app the way its CI does.
func TestRepositoryApps(t *testing.T) {
	root := filepath.Join("..", "..")
	a, err := Load(filepath.Join(root, File))
	require.NoError(t, err)
	require.NoError(t, a.CheckQuarantines(time.Now()))
	for _, app := range a.Apps {
		t.Run(app.Name, func(t *testing.T) {
			dir := filepath.Join(root, filepath.FromSlash(app.Path))
			gh := githubWrapper(t, filepath.Join(dir, ".github", "workflows", "paved.yml"))
			require.Equal(t, app.Wrapper, gh.with, "wrapper of %s vs its GitHub workflow", app.Name)
			require.Equal(t, app.Prepare, gh.prepare, "prepare of %s vs the run steps of its GitHub workflow", app.Name)
			require.Equal(t, app.Wrapper, gitlabWrapper(t, filepath.Join(dir, ".gitlab-ci.yml")), "wrapper of %s vs its .gitlab-ci.yml", app.Name)
		})
	}
	for _, p := range []string{a.Fixtures.Policy, a.Fixtures.GitOps} {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		require.NoError(t, err)
	}
}

type ghWrapper struct {
	with    Wrapper
	prepare []string
}

// githubWrapper reads the paved call of a workflow: a reusable-workflow
// job (jobs.*.uses + with) or a step of the composite action, and the run
// steps before it.
func githubWrapper(t *testing.T, file string) ghWrapper {
	var wf struct {
		Jobs map[string]struct {
			Uses  string            `yaml:"uses"`
			With  map[string]string `yaml:"with"`
			Steps []struct {
				Uses string  `yaml:"uses"`
				Run  string  `yaml:"run"`
				With Wrapper `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, file, &wf)
	for _, job := range wf.Jobs {
		if strings.HasPrefix(job.Uses, "paved-dev/paved/") {
			out := ghWrapper{with: Wrapper{Service: job.With["service"], Env: job.With["env"]}}
			if p := job.With["prepare"]; p != "" {
				out.prepare = []string{p}
			}
			return out
		}
		var out ghWrapper
		for _, s := range job.Steps {
			switch {
			case strings.HasPrefix(s.Uses, "paved-dev/paved/"):
				out.with = s.With
				return out
			case s.Run != "":
				out.prepare = append(out.prepare, strings.TrimSpace(s.Run))
			}
		}
	}
	t.Fatalf("%s: no paved-dev/paved workflow or action", file)
	return ghWrapper{}
}

func gitlabWrapper(t *testing.T, file string) Wrapper {
	var ci struct {
		Include []struct {
			Component string  `yaml:"component"`
			Inputs    Wrapper `yaml:"inputs"`
		} `yaml:"include"`
	}
	readYAML(t, file, &ci)
	for _, inc := range ci.Include {
		if strings.Contains(inc.Component, "/paved-dev/paved/") {
			return inc.Inputs
		}
	}
	t.Fatalf("%s: no paved-dev/paved component", file)
	return Wrapper{}
}

func readYAML(t *testing.T, file string, v any) {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, v), file)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validApps))
	f.Add([]byte(validApps + "    quarantine: {reason: x, until: 2026-01-01}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			return
		}
		require.NotEmpty(t, a.Apps)
		for _, app := range a.Apps {
			require.NotEmpty(t, app.Name)
			require.Len(t, app.Commit, 40)
		}
	})
}
