package service

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
)

const validConfig = `apiVersion: paved.dev/v1
kind: Service
name: api
build:
  kind: go
  base: registry.example/platform/static:1
image:
  repository: registry.example/services/api
`

func TestParse(t *testing.T) {
	c, err := Parse("svc/paved.yaml", []byte(validConfig+"scan:\n  ignoreFile: ignore.yaml\nsigning:\n  key: keys/cosign.key\n"))
	require.NoError(t, err)
	require.Equal(t, "api", c.Name)
	require.Equal(t, "svc", c.Dir)
	require.Equal(t, "svc", c.BuildDir())
	require.Equal(t, "api", c.GitOpsService())
	require.Equal(t, filepath.Join("svc", "ignore.yaml"), c.IgnoreFile())
	require.Equal(t, filepath.Join("svc", "keys/cosign.key"), c.Path(c.Signing.Key))
	require.Equal(t, "https://example/policy.yaml", c.Path("https://example/policy.yaml"))
}

func TestParseRefusals(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty file"},
		{"not yaml", "name: [", "did not find expected"},
		{"typo at the top", validConfig + "polcy: p.yaml\n", `line 9: unknown key "polcy" at the top level (did you mean "policy"?)`},
		{"typo in image", validConfig + "  repo: x\n", `line 9: unknown key "repo" in image`},
		{"typo nested in a list", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: go\n  base: b:1\n  extraFiles:\n    - src: a\n      dest: /a\nimage:\n  repository: r.example/a\n", `line 9: unknown key "dest" in build.extraFiles[0] (did you mean "dst"?)`},
		{"unknown key far from every key", validConfig + "xyzzy: 1\n", `unknown key "xyzzy" at the top level`},
		{"wrong apiVersion", "apiVersion: v2\nkind: Service\n", `apiVersion is "v2": set it to "paved.dev/v1"`},
		{"wrong kind", "apiVersion: paved.dev/v1\nkind: Job\n", `kind is "Job"`},
		{"no name", "apiVersion: paved.dev/v1\nkind: Service\n", "name is required"},
		{"bad name", "apiVersion: paved.dev/v1\nkind: Service\nname: My_API\n", "not a DNS label"},
		{"no build kind", "apiVersion: paved.dev/v1\nkind: Service\nname: api\n", "build.kind is required"},
		{"unknown build kind", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: bazel\n", `build.kind is "bazel"`},
		{"go without base", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: go\n", "build.base is required"},
		{"dockerfile field in a go build", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: go\n  base: r.example/base:1\n  target: x\n", "build.target is only read by a dockerfile build"},
		{"go field in a dockerfile build", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: dockerfile\n  base: b:1\n", "build.base is only read by a go build"},
		{"bad platform", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: dockerfile\n  platforms: [amd64]\n", `build.platforms: "amd64" is not OS/ARCH`},
		{"no repository", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: dockerfile\n", "image.repository is required"},
		{"repository with a tag", "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: dockerfile\nimage:\n  repository: r.example/a:1\n", "is not a repository"},
		{"bad severity", validConfig + "scan:\n  severity: [SEVERE]\n", `scan.severity: "SEVERE" is not one of`},
		{"repeated environment", validConfig + "gitops:\n  environments: [dev, dev]\n", "gitops.environments[1]"},
		{"wrong type", validConfig + "scan:\n  ignoreUnfixed: maybe\n", `line 10: wrong type: scan.ignoreUnfixed takes true or false, not the string "maybe"`},
		{"a list for a string", validConfig + "policy: [a, b]\n", `line 9: wrong type: policy takes a string, not a list`},
		{"duplicate key", validConfig + "scan:\n  severity: [HIGH]\n  severity: [LOW]\n", `line 11: key "severity" in scan given twice (first on line 10): keep one`},
		{"a policy file", "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases: {}\n", `line 2: wrong kind of file: kind is "PlatformPolicy", so this is a platform policy, not a paved.yaml (kind: Service)`},
		{"no kind", "apiVersion: paved.dev/v1\nname: api\n", "no kind: a paved.yaml starts with apiVersion: paved.dev/v1 and kind: Service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("svc/paved.yaml", []byte(tt.yaml))
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			require.Contains(t, err.Error(), `reading "svc/paved.yaml": `)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseFieldKeysSuggest(t *testing.T) {
	// Keys nested under build (after validConfig's build block, the last
	// line belongs to image, so these go in their own document).
	tests := []struct{ key, want string }{
		{"mian", "main"}, {"dockerfil", "dockerfile"}, {"extrafiles", "extraFiles"},
		{"platform", "platforms"}, {"build_args", "buildArgs"}, {"versionvar", "versionVar"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			doc := "apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: go\n  " + tt.key + ": x\n"
			_, err := Parse("paved.yaml", []byte(doc))
			require.ErrorIs(t, err, ErrUnknownKey)
			require.Contains(t, err.Error(), `line 6: unknown key "`+tt.key+`" in build (did you mean "`+tt.want+`"?)`)
		})
	}
}

func TestLoadReferenceApp(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "..", "examples", "reference-apps", "go-api", "paved.yaml"))
	require.NoError(t, err)
	require.Equal(t, "go-api", c.Name)
	require.Equal(t, BuildGo, c.Build.Kind)
	require.Equal(t, []string{"dev", "staging", "prod"}, c.GitOps.Environments)

	_, err = Load(filepath.Join(t.TempDir(), "missing.yaml"))
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestPublicKey(t *testing.T) {
	tests := []struct{ key, configured, want string }{
		{"keys/cosign.key", "", "keys/cosign.pub"},
		{"keys/cosign.key", "other.pub", "other.pub"},
		{"awskms:///alias/paved", "", "awskms:///alias/paved"},
		{"env://COSIGN_KEY", "", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, PublicKey(tt.key, tt.configured), tt.key)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte(validConfig + "scan:\n  severity: [HIGH]\n"))
	f.Add([]byte("apiVersion: paved.dev/v1\nkind: Service\nname: a\nbuild: &b\n  kind: go\nimage: *b\n"))
	f.Add([]byte("{a: [1, {b: 2}]}"))
	if data, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "reference-apps", "go-api", "paved.yaml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("paved.yaml", data)
		if err != nil {
			if k := failure.KindOf(err); k != failure.BadInput {
				t.Fatalf("error of kind %v, want bad input: %v", k, err)
			}
			return
		}
		if c.Name == "" || c.Image.Repository == "" {
			t.Fatalf("accepted a config without name or repository: %q", data)
		}
	})
}
