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
    ci: github
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
		{name: "no ci", yaml: strings.Replace(validApps, "    ci: github\n", "", 1), wantErr: `ci "": want github`},
		{name: "unknown ci", yaml: strings.Replace(validApps, "ci: github", "ci: jenkins", 1), wantErr: `ci "jenkins"`},
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
			require.Equal(t, GitHub, a.Apps[0].CI)
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
// exists and its ci names a CI file of the app's that runs paved's wrapper
// (the harness runs that file).
func TestRepositoryApps(t *testing.T) {
	root := filepath.Join("..", "..")
	a, err := Load(filepath.Join(root, File))
	require.NoError(t, err)
	require.NoError(t, a.CheckQuarantines(time.Now()))
	for _, app := range a.Apps {
		t.Run(app.Name, func(t *testing.T) {
			dir := filepath.Join(root, filepath.FromSlash(app.Path))
			file, ref := filepath.Join(dir, ".github", "workflows", "paved.yml"), "uses: paved-dev/paved/"
			if app.CI == GitLab {
				file, ref = filepath.Join(dir, ".gitlab-ci.yml"), "/paved-dev/paved/build-scan-deploy@"
			}
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			require.Contains(t, string(data), ref, "%s runs paved's wrapper", file)
			var v any
			require.NoError(t, yaml.Unmarshal(data, &v), file)
		})
	}
	for _, p := range []string{a.Fixtures.Policy, a.Fixtures.GitOps} {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		require.NoError(t, err)
	}
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
