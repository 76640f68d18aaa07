package apps

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/template/service"
)

// dockerfileApps are the apps built from a RUN-less Dockerfile on an
// approved base, with the base each one names.
var dockerfileApps = map[string]string{"python-api": "python-base", "node-web": "node-base"}

func appDir(name string) string { return filepath.Join("..", name) }

// TestOwnTests runs each app's own test suite (go vet and go test in
// go-api's own module; python3 -m unittest; npm ci from the lock file, then
// node --test). The npm cache makes a second run offline.
func TestOwnTests(t *testing.T) {
	t.Run("go-api", func(t *testing.T) {
		// go-api is its own module on the standard toolchain: paved's
		// GOEXPERIMENT stays out of it.
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GOEXPERIMENT=") {
				env = append(env, kv)
			}
		}
		for _, args := range [][]string{{"vet", "./..."}, {"test", "./..."}} {
			cmd := exec.Command("go", args...)
			cmd.Dir, cmd.Env = appDir("go-api"), env
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "go %s in go-api failed:\n%s", strings.Join(args, " "), out)
		}
	})
	for _, app := range []string{"python-api", "node-web"} {
		t.Run(app, func(t *testing.T) {
			var out bytes.Buffer
			cmd := exec.Command("./test.sh")
			cmd.Dir = appDir(app)
			cmd.Stdout, cmd.Stderr = &out, &out
			require.NoError(t, cmd.Run(), "%s/test.sh failed:\n%s", app, out.String())
		})
	}
}

// TestPavedYAML loads each app's paved.yaml the way paved run does, checks
// it against the published JSON Schema, and checks that its BASE build
// argument is the Dockerfile's default: the approved base, by name.
func TestPavedYAML(t *testing.T) {
	schema := compileSchema(t)
	for app, baseName := range dockerfileApps {
		t.Run(app, func(t *testing.T) {
			file := filepath.Join(appDir(app), "paved.yaml")
			cfg, err := service.Load(file)
			require.NoError(t, err)
			require.Equal(t, app, cfg.Name)
			require.Equal(t, service.BuildDockerfile, cfg.Build.Kind)

			data, err := os.ReadFile(file)
			require.NoError(t, err)
			var doc any
			require.NoError(t, yaml.Unmarshal(data, &doc))
			require.NoError(t, schema.Validate(doc))

			df, err := os.ReadFile(filepath.Join(appDir(app), "Dockerfile"))
			require.NoError(t, err)
			m := regexp.MustCompile(`(?m)^ARG BASE=(\S+)$`).FindSubmatch(df)
			require.NotNil(t, m, "the Dockerfile declares ARG BASE=<approved base>")
			require.Equal(t, string(m[1]), cfg.Build.BuildArgs["BASE"])
			require.Contains(t, string(m[1]), "/platform/"+baseName+":")
			require.NotRegexp(t, `(?mi)^\s*RUN\s`, string(df), "service Dockerfiles stay RUN-less")
		})
	}
}

// TestWrappers checks that each app's CI wrappers pin the same paved version
// as go-api's, so `paved fleet` moves them together.
func TestWrappers(t *testing.T) {
	pin := regexp.MustCompile(`paved-dev/paved/[^@\s]+@(v[0-9][^\s]*)`)
	want := pin.FindSubmatch(read(t, filepath.Join(appDir("go-api"), ".github/workflows/paved.yml")))
	require.NotNil(t, want)
	for app := range dockerfileApps {
		for _, f := range []string{".github/workflows/paved.yml", ".gitlab-ci.yml"} {
			t.Run(app+"/"+f, func(t *testing.T) {
				data := read(t, filepath.Join(appDir(app), f))
				pins := pin.FindAllSubmatch(data, -1)
				require.NotEmpty(t, pins, "the wrapper calls paved at a pinned version")
				for _, p := range pins {
					require.Equal(t, string(want[1]), string(p[1]))
				}
				var doc map[string]any
				require.NoError(t, yaml.Unmarshal(data, &doc))
				if strings.HasPrefix(f, ".github") {
					require.Contains(t, doc, "jobs")
				}
			})
		}
	}
}

func read(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	return data
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "schema", "paved.schema.json"))
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("paved.schema.json", doc))
	s, err := c.Compile("paved.schema.json")
	require.NoError(t, err)
	return s
}
