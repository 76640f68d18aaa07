package pin

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScan(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		file string
		data string
		want []Pin
	}{
		{
			name: "github reusable workflow",
			file: ".github/workflows/paved.yml",
			data: "jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.1.0\n    # uses: paved-dev/paved/x.yml@v9.9.9\n",
			want: []Pin{{Kind: Paved, Source: SourceGitHub, File: ".github/workflows/paved.yml", Line: 3, Ref: "paved-dev/paved/.github/workflows/build-scan-deploy.yml", Version: "v0.1.0", Semver: true}},
		},
		{
			name: "github action by sha with version comment",
			file: ".github/workflows/ci.yaml",
			data: "steps:\n  - uses: actions/checkout@v4\n  - uses: acme/paved/ci/action@" + sha + " # v1.4.0\n",
			want: []Pin{{Kind: Paved, Source: SourceGitHub, File: ".github/workflows/ci.yaml", Line: 3, Ref: "acme/paved/ci/action", Version: "v1.4.0", Digest: sha, Semver: true}},
		},
		{
			name: "github branch pin is not semver",
			file: ".github/workflows/ci.yaml",
			data: "    uses: 'paved-dev/paved/.github/workflows/build-scan-deploy.yml@main'\n",
			want: []Pin{{Kind: Paved, Source: SourceGitHub, File: ".github/workflows/ci.yaml", Line: 1, Ref: "paved-dev/paved/.github/workflows/build-scan-deploy.yml", Version: "main"}},
		},
		{
			name: "gitlab component",
			file: ".gitlab-ci.yml",
			data: "include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@v0.1.0\n",
			want: []Pin{{Kind: Paved, Source: SourceGitLab, File: ".gitlab-ci.yml", Line: 2, Ref: "$CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy", Version: "v0.1.0", Semver: true}},
		},
		{
			name: "dagger call in a script",
			file: "ci/build.sh",
			data: "#!/bin/sh\ndagger call -m github.com/paved-dev/paved@v0.2.0 build-scan-deploy --source . --paved-version v0.2.0\n",
			want: []Pin{
				{Kind: Paved, Source: SourceDaggerCall, File: "ci/build.sh", Line: 2, Ref: "github.com/paved-dev/paved", Version: "v0.2.0", Semver: true},
				{Kind: Paved, Source: SourcePavedVersion, File: "ci/build.sh", Line: 2, Ref: "--paved-version", Version: "v0.2.0", Semver: true},
			},
		},
		{
			name: "dagger.json dependency",
			file: "dagger.json",
			data: "{\n  \"name\": \"svc\",\n  \"dependencies\": [\n    {\"name\": \"paved\", \"source\": \"github.com/paved-dev/paved@v0.3.0\", \"pin\": \"" + sha + "\"},\n    {\"name\": \"x\", \"source\": \"github.com/other/x@v1.0.0\"}\n  ]\n}\n",
			want: []Pin{{Kind: Paved, Source: SourceDaggerJSON, File: "dagger.json", Line: 4, Ref: "github.com/paved-dev/paved", Version: "v0.3.0", Digest: sha, Semver: true}},
		},
		{
			name: "dockerfile stages, args and scratch",
			file: "svc/Dockerfile",
			data: "ARG BASE=registry.example.com/platform/python-base:1.0\nFROM golang:1.25 AS build\nFROM ${BASE}\nCOPY --from=build /x /x\nFROM build AS again\nFROM scratch\nFROM localhost:5000/static@sha256:" + sha + sha[:24] + "\n",
			want: []Pin{
				{Kind: Base, Source: SourceDockerfile, File: "svc/Dockerfile", Line: 2, Ref: "golang", Version: "1.25"},
				{Kind: Base, Source: SourceDockerfile, File: "svc/Dockerfile", Line: 3, Ref: "registry.example.com/platform/python-base", Version: "1.0"},
				{Kind: Base, Source: SourceDockerfile, File: "svc/Dockerfile", Line: 7, Ref: "localhost:5000/static", Digest: "sha256:" + sha + sha[:24]},
			},
		},
		{
			name: "dockerfile quoted and chained ARG defaults",
			file: "Dockerfile",
			data: "ARG REG=\"registry.example.com/platform\"\nARG BASE='registry.example.com/platform/python-base:1.0'\nARG NODE=\"${REG}/node-base:1\"\nFROM ${BASE}\nFROM $NODE\n",
			want: []Pin{
				{Kind: Base, Source: SourceDockerfile, File: "Dockerfile", Line: 4, Ref: "registry.example.com/platform/python-base", Version: "1.0"},
				{Kind: Base, Source: SourceDockerfile, File: "Dockerfile", Line: 5, Ref: "registry.example.com/platform/node-base", Version: "1"},
			},
		},
		{
			name: "paved.yaml base",
			file: "paved.yaml",
			data: "apiVersion: paved.dev/v1\nname: go-api\nbuild:\n  kind: go\n  base: 127.0.0.1:5000/platform/static:1\n",
			want: []Pin{{Kind: Base, Source: SourcePavedYAML, File: "paved.yaml", Line: 5, Ref: "127.0.0.1:5000/platform/static", Version: "1"}},
		},
		{
			name: "terraform module refs",
			file: "infra/main.tf",
			data: "module \"vpc\" {\n  source = \"git::https://git.example.com/modules/vpc.git//aws?ref=v2.1.0\"\n}\nmodule \"db\" {\n  source = \"git::ssh://git@git.example.com/modules/db.git?depth=1&ref=main\"\n}\nmodule \"local\" {\n  source = \"./local\"\n}\n",
			want: []Pin{
				{Kind: Module, Source: SourceTerraform, File: "infra/main.tf", Line: 2, Ref: "git::https://git.example.com/modules/vpc.git//aws", Version: "v2.1.0", Semver: true},
				{Kind: Module, Source: SourceTerraform, File: "infra/main.tf", Line: 5, Ref: "git::ssh://git@git.example.com/modules/db.git", Version: "main"},
			},
		},
		{name: "other files are not read", file: "main.go", data: "// uses: paved-dev/paved/x@v1.0.0\n"},
		{name: "non-paved action", file: ".github/workflows/a.yml", data: "- uses: actions/setup-go@v5\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Scan(tc.file, []byte(tc.data))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestScanBadInput(t *testing.T) {
	for _, tc := range []struct{ name, file, data string }{
		{"dagger.json", "dagger.json", "{"},
		{"dockerfile without FROM", "Dockerfile", "COPY a b\n"},
		{"paved.yaml", "paved.yaml", "build: [\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scan(tc.file, []byte(tc.data))
			require.ErrorContains(t, err, tc.file)
		})
	}
}

func TestIsSemver(t *testing.T) {
	for v, want := range map[string]bool{"v1.2.3": true, "1.2.3": true, "v1.2.3-rc.1": true, "v1": false, "v1.2": false, "main": false, "": false, "latest": false} {
		require.Equal(t, want, IsSemver(v), v)
	}
}

func TestSplitImage(t *testing.T) {
	for _, tc := range []struct{ in, repo, tag, digest string }{
		{"python", "python", "", ""},
		{"python-base:1.0", "python-base", "1.0", ""},
		{"localhost:5000/a/b", "localhost:5000/a/b", "", ""},
		{"localhost:5000/a/b:2@sha256:ab", "localhost:5000/a/b", "2", "sha256:ab"},
	} {
		repo, tag, digest := SplitImage(tc.in)
		require.Equal(t, []string{tc.repo, tc.tag, tc.digest}, []string{repo, tag, digest}, tc.in)
	}
}

// FuzzScan feeds arbitrary contents to every scanner: no panic, and every
// pin found names its file and a kind.
func FuzzScan(f *testing.F) {
	files := []string{".github/workflows/a.yml", ".gitlab-ci.yml", "Makefile", "dagger.json", "Dockerfile", "paved.yaml", "main.tf"}
	f.Add(uint8(0), "uses: paved-dev/paved/x@v1.0.0")
	f.Add(uint8(4), "ARG A=b\nFROM ${A}:1 AS x\nFROM x\n")
	f.Add(uint8(5), "build:\n  base: a:1\n")
	f.Add(uint8(6), "source = \"git::x?ref=v1.0.0\"\n")
	f.Fuzz(func(t *testing.T, which uint8, data string) {
		file := files[int(which)%len(files)]
		pins, err := Scan(file, []byte(data))
		if err != nil {
			return
		}
		for _, p := range pins {
			if p.File != file || p.Kind == "" || p.Source == "" {
				t.Fatalf("bad pin %+v", p)
			}
		}
	})
}
