package ci

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// Paths from this package to the wrappers.
const (
	reusableWorkflow = "../.github/workflows/build-scan-deploy.yml"
	compositeAction  = "github/action.yml"
	gitlabComponent  = "../templates/build-scan-deploy.yml"
	daggerWrapper    = "dagger/build-scan-deploy.sh"
	renovatePreset   = "renovate/paved.json"
	appDir           = "../examples/reference-apps/go-api"
)

// shaPinned is a third-party action pinned by full commit SHA, with the
// version it stands for in a comment.
var shaPinned = regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)

func TestWrappersParse(t *testing.T) {
	for _, path := range []string{reusableWorkflow, compositeAction, gitlabComponent, appDir + "/.github/workflows/paved.yml", appDir + "/.gitlab-ci.yml"} {
		t.Run(path, func(t *testing.T) {
			docs := readYAML(t, path)
			require.NotEmpty(t, docs)
		})
	}
}

func TestReusableWorkflow(t *testing.T) {
	wf := readYAML(t, reusableWorkflow)[0]
	call := dig(t, wf, "on", "workflow_call")
	inputs := dig(t, call, "inputs")
	require.Contains(t, inputs, "service")
	require.Contains(t, inputs, "env")
	steps := dig(t, wf, "jobs", "build-scan-deploy")["steps"].([]any)
	var uses []string
	for _, s := range steps {
		if u, ok := s.(map[string]any)["uses"].(string); ok {
			uses = append(uses, u)
		}
	}
	require.Contains(t, strings.Join(uses, " "), "github/codeql-action/upload-sarif@", "the SARIF report is uploaded")
	checkPinned(t, uses)
}

func TestCompositeAction(t *testing.T) {
	a := readYAML(t, compositeAction)[0]
	runs := dig(t, a, "runs")
	require.Equal(t, "composite", runs["using"])
	var uses []string
	for _, s := range runs["steps"].([]any) {
		step := s.(map[string]any)
		if u, ok := step["uses"].(string); ok {
			uses = append(uses, u)
		}
		// Inputs reach scripts through env, never spliced into the script.
		if run, ok := step["run"].(string); ok {
			require.NotContains(t, run, "${{", "step %q expands an expression inside its script", step["name"])
		}
	}
	checkPinned(t, uses)
}

// checkPinned: every action that is not paved's own is pinned by SHA.
func checkPinned(t *testing.T, uses []string) {
	t.Helper()
	for _, u := range uses {
		if strings.HasPrefix(u, "paved-dev/paved/") || strings.HasPrefix(u, "./") {
			continue
		}
		require.Regexp(t, shaPinned, u, "third-party actions are pinned by full commit SHA")
	}
}

func TestGitLabComponentInputs(t *testing.T) {
	docs := readYAML(t, gitlabComponent)
	require.Len(t, docs, 2, "a component is a spec document and a jobs document")
	declared := dig(t, docs[0], "spec", "inputs")
	for _, name := range []string{"service", "env", "stage", "paved-version"} {
		require.Contains(t, declared, name)
	}
	raw, err := os.ReadFile(gitlabComponent)
	require.NoError(t, err)
	_, body, ok := bytes.Cut(raw, []byte("\n---\n"))
	require.True(t, ok)
	used := regexp.MustCompile(`\$\[\[\s*inputs\.([\w-]+)\s*\]\]`).FindAllSubmatch(body, -1)
	require.NotEmpty(t, used)
	for _, m := range used {
		require.Contains(t, declared, string(m[1]), "input %s is used but not declared in spec:inputs", m[1])
	}
	job := dig(t, docs[1], ".$[[ inputs.job-name ]]")
	require.Contains(t, job, "script")
	for _, name := range []string{"$[[ inputs.job-name ]]", "$[[ inputs.job-name ]]-mr"} {
		require.Equal(t, ".$[[ inputs.job-name ]]", dig(t, docs[1], name)["extends"], "%s runs the component's job", name)
		require.Contains(t, dig(t, docs[1], name), "rules")
	}
}

// TestOnePavedVersion: the wrappers of one paved release run that release.
// The ref a service pins (@vX.Y.Z) and the version each wrapper installs by
// default must be the same, or a bump would run an older paved.
func TestOnePavedVersion(t *testing.T) {
	action := readYAML(t, compositeAction)[0]
	want := dig(t, action, "inputs", "paved-version")["default"].(string)
	require.Regexp(t, `^v\d+\.\d+\.\d+$`, want)

	component := readYAML(t, gitlabComponent)[0]
	require.Equal(t, want, dig(t, component, "spec", "inputs", "paved-version")["default"], gitlabComponent)

	for _, path := range []string{reusableWorkflow, daggerWrapper, appDir + "/.github/workflows/paved.yml", appDir + "/.gitlab-ci.yml"} {
		for _, pin := range pinsIn(t, path) {
			require.Equal(t, want, pin, "%s pins another paved version", path)
		}
	}
}

// pinRef finds paved pins independently of the Renovate preset.
var pinRef = regexp.MustCompile(`paved-dev/paved(?:/[\w./-]+)?@(v[^\s'"]+)|--paved-version[= ](v[^\s'"]+)`)

func pinsIn(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, m := range pinRef.FindAllStringSubmatch(string(data), -1) {
		out = append(out, m[1]+m[2])
	}
	require.NotEmpty(t, out, "%s has no paved pin", path)
	return out
}

// TestRenovatePresetMatchesPins runs the preset's regex managers (Renovate
// uses RE2, as Go does) over the wrappers a service carries, at the paths
// they have in the service's repository: every paved pin must be found,
// with its version, by a manager whose file patterns take that file.
func TestRenovatePresetMatchesPins(t *testing.T) {
	managers := readPreset(t)
	files := map[string]string{ // path in a service's repository -> file here
		".github/workflows/paved.yml":    appDir + "/.github/workflows/paved.yml",
		".gitlab-ci.yml":                 appDir + "/.gitlab-ci.yml",
		"ci/dagger/build-scan-deploy.sh": daggerWrapper,
	}
	for repoPath, file := range files {
		t.Run(repoPath, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			var found []string
			for _, m := range managers {
				if !m.takes(repoPath) {
					continue
				}
				for _, re := range m.matchStrings {
					for _, sm := range re.FindAllStringSubmatch(string(data), -1) {
						found = append(found, sm[re.SubexpIndex("currentValue")])
					}
				}
			}
			require.ElementsMatch(t, pinsIn(t, file), found, "the preset must find every pin, and only pins")
		})
	}
}

// TestRenovatePresetRejectsDrift: pin formats the preset must not take.
func TestRenovatePresetRejectsDrift(t *testing.T) {
	managers := readPreset(t)
	for _, line := range []string{
		"uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@main",
		"uses: other-org/paved/ci/github@v1.2.3",
		"component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@~latest",
		"dagger call -m github.com/paved-dev/paved build-scan-deploy",
	} {
		for _, m := range managers {
			for _, re := range m.matchStrings {
				require.False(t, re.MatchString(line), "%q matched %s", line, re)
			}
		}
	}
}

type manager struct {
	filePatterns []*regexp.Regexp
	matchStrings []*regexp.Regexp
}

func (m manager) takes(path string) bool {
	for _, p := range m.filePatterns {
		if p.MatchString(path) {
			return true
		}
	}
	return false
}

func readPreset(t *testing.T) []manager {
	t.Helper()
	var preset struct {
		CustomManagers []struct {
			CustomType          string   `json:"customType"`
			ManagerFilePatterns []string `json:"managerFilePatterns"`
			MatchStrings        []string `json:"matchStrings"`
			DepNameTemplate     string   `json:"depNameTemplate"`
			DatasourceTemplate  string   `json:"datasourceTemplate"`
		} `json:"customManagers"`
	}
	data, err := os.ReadFile(renovatePreset)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	require.NoError(t, dec.Decode(&preset))
	require.NotEmpty(t, preset.CustomManagers)
	var out []manager
	for _, cm := range preset.CustomManagers {
		require.Equal(t, "regex", cm.CustomType)
		require.Equal(t, "paved-dev/paved", cm.DepNameTemplate)
		require.Equal(t, "github-tags", cm.DatasourceTemplate)
		var m manager
		for _, p := range cm.ManagerFilePatterns {
			// Renovate reads /.../ as a regex, anything else as a glob.
			require.True(t, strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/"), "file pattern %q is not a /regex/", p)
			m.filePatterns = append(m.filePatterns, regexp.MustCompile(p[1:len(p)-1]))
		}
		for _, s := range cm.MatchStrings {
			re := regexp.MustCompile(s)
			require.GreaterOrEqual(t, re.SubexpIndex("currentValue"), 0, "%s has no currentValue group", s)
			m.matchStrings = append(m.matchStrings, re)
		}
		out = append(out, m)
	}
	return out
}

// readYAML decodes every document of a YAML file, strictly.
func readYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.FromSlash(path))
	require.NoError(t, err)
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		require.NoError(t, err, "parsing %s", path)
		docs = append(docs, doc)
	}
}

// dig walks nested mappings and fails when a key is missing.
func dig(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	cur := m
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		require.True(t, ok, "missing mapping %q (in %v)", k, keys)
		cur = next
	}
	return cur
}
