package rewrite

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

const newBase = "registry.example.com/platform/python-base:1.1@sha256:" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"

func TestFile(t *testing.T) {
	paved := Target{Kind: pin.Paved, To: "v0.3.0"}
	base := Target{Kind: pin.Base, From: "python-base:1.0", To: newBase}
	tf := Target{Kind: pin.Module, From: "git.example.com/modules/db.git", To: "v3.2.0"}
	tests := []struct {
		name, file, in string
		target         Target
		want           string // "" when the file must come back unchanged
		edits          int
	}{
		{"github uses", ".github/workflows/ci.yml",
			"jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.1.0 # keep\n    with: {x: 1}\n", paved,
			"jobs:\n  paved:\n    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.3.0 # keep\n    with: {x: 1}\n", 1},
		{"github quoted, CRLF", ".github/workflows/ci.yml",
			"jobs:\r\n  p:\r\n    uses: 'acme/paved/x.yml@v0.1.0'\r\n", paved,
			"jobs:\r\n  p:\r\n    uses: 'acme/paved/x.yml@v0.3.0'\r\n", 1},
		{"gitlab component without v", ".gitlab-ci.yml",
			"include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@0.2.0\n    inputs: {}\n", paved,
			"include:\n  - component: $CI_SERVER_FQDN/paved-dev/paved/build-scan-deploy@0.3.0\n    inputs: {}\n", 1},
		{"dagger call and flag", "Makefile",
			"ci:\n\tdagger call -m github.com/paved-dev/paved@v0.2.0 build --paved-version=v0.2.0 --source .\n", paved,
			"ci:\n\tdagger call -m github.com/paved-dev/paved@v0.3.0 build --paved-version=v0.3.0 --source .\n", 2},
		{"dagger.json", "dagger.json",
			"{\n  \"name\": \"svc\",\n  \"dependencies\": [{\"name\": \"paved\", \"source\": \"github.com/paved-dev/paved@v0.2.0\"}]\n}\n", paved,
			"{\n  \"name\": \"svc\",\n  \"dependencies\": [{\"name\": \"paved\", \"source\": \"github.com/paved-dev/paved@v0.3.0\"}]\n}\n", 1},
		{"a pin in a trailing comment stays", ".github/workflows/ci.yml",
			"    uses: paved-dev/paved/x.yml@v0.2.0 # was uses: paved-dev/paved/x.yml@v0.1.0\n", paved,
			"    uses: paved-dev/paved/x.yml@v0.3.0 # was uses: paved-dev/paved/x.yml@v0.1.0\n", 1},
		{"the same pin in a trailing comment stays", "Makefile",
			"ci:\n\tdagger call -m github.com/paved-dev/paved@v0.2.0 build # -m github.com/paved-dev/paved@v0.2.0\n", paved,
			"ci:\n\tdagger call -m github.com/paved-dev/paved@v0.3.0 build # -m github.com/paved-dev/paved@v0.2.0\n", 1},
		{"a quoted # is not a comment", ".github/workflows/ci.yml",
			"    uses: \"paved-dev/paved/x#y.yml@v0.2.0\"\n", paved,
			"    uses: \"paved-dev/paved/x#y.yml@v0.3.0\"\n", 1},
		{"already current", ".github/workflows/ci.yml", "    uses: paved-dev/paved/x.yml@v0.3.0\n", paved, "", 0},
		{"ahead: a major above is never downgraded", ".github/workflows/ci.yml", "    uses: paved-dev/paved/x.yml@v1.0.0\n", paved, "", 0},
		{"ahead: a minor above is never downgraded", ".gitlab-ci.yml", "  - component: $CI_SERVER_FQDN/paved-dev/paved/x@0.4.0\n", paved, "", 0},
		{"ahead and behind in one file", "Makefile",
			"ci:\n\tdagger call -m github.com/paved-dev/paved@v0.10.0 build --paved-version=v0.2.9\n", paved,
			"ci:\n\tdagger call -m github.com/paved-dev/paved@v0.10.0 build --paved-version=v0.3.0\n", 1},
		{"a pre-release of the target moves", ".github/workflows/ci.yml", "    uses: paved-dev/paved/x.yml@v0.3.0-rc.1\n", paved, "    uses: paved-dev/paved/x.yml@v0.3.0\n", 1},
		{"terraform ahead", "main.tf", "  source = \"git::https://git.example.com/modules/db.git?ref=v4.0.0\"\n", tf, "", 0},
		{"other actions untouched", ".github/workflows/ci.yml", "    uses: actions/checkout@v4.1.0\n", paved, "", 0},
		{"dockerfile FROM", "Dockerfile",
			"# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM registry.example.com/platform/python-base:1.0 AS build\nRUN echo python-base:1.0\nFROM build\n", base,
			"# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM " + newBase + " AS build\nRUN echo python-base:1.0\nFROM build\n", 1},
		{"dockerfile ARG", "Dockerfile",
			"ARG BASE=registry.example.com/platform/python-base:1.0\nFROM ${BASE}\nFROM ${BASE} AS two\n", base,
			"ARG BASE=" + newBase + "\nFROM ${BASE}\nFROM ${BASE} AS two\n", 1},
		{"dockerfile ARG: only the one FROM names", "Dockerfile",
			"ARG CACHE=registry.example.com/platform/python-base:1.0\nARG TOOLS=x BASE=registry.example.com/platform/python-base:1.0\nFROM ${BASE}\n", base,
			"ARG CACHE=registry.example.com/platform/python-base:1.0\nARG TOOLS=x BASE=" + newBase + "\nFROM ${BASE}\n", 1},
		{"dockerfile ARG: the last global declaration wins", "Dockerfile",
			"ARG BASE=registry.example.com/platform/python-base:0.9\nARG BASE=registry.example.com/platform/python-base:1.0\nFROM $BASE AS b\nARG BASE=registry.example.com/platform/python-base:1.0\n", base,
			"ARG BASE=registry.example.com/platform/python-base:0.9\nARG BASE=" + newBase + "\nFROM $BASE AS b\nARG BASE=registry.example.com/platform/python-base:1.0\n", 1},
		{"dockerfile other tag", "Dockerfile", "FROM registry.example.com/platform/python-base:1.1\n", base, "", 0},
		{"dockerfile longer repo", "Dockerfile", "FROM registry.example.com/platform/python-base-slim:1.0\n", base, "", 0},
		{"paved.yaml build.base", "paved.yaml",
			"name: a\nbuild:\n  kind: dockerfile\n  base: \"registry.example.com/platform/python-base:1.0\" # pinned\n", base,
			"name: a\nbuild:\n  kind: dockerfile\n  base: \"" + newBase + "\" # pinned\n", 1},
		{"terraform", "infra/main.tf",
			"module \"db\" {\n  source = \"git::https://git.example.com/modules/db.git?depth=1&ref=v3.1.0\"\n}\n", tf,
			"module \"db\" {\n  source = \"git::https://git.example.com/modules/db.git?depth=1&ref=v3.2.0\"\n}\n", 1},
		{"terraform other module", "main.tf", "  source = \"git::https://git.example.com/modules/dbx.git?ref=v3.1.0\"\n", tf, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, edits, err := File(tc.file, []byte(tc.in), tc.target)
			require.NoError(t, err)
			want := tc.want
			if want == "" {
				want = tc.in
			}
			require.Equal(t, want, string(out))
			require.Len(t, edits, tc.edits)
			for _, e := range edits {
				require.Equal(t, tc.file, e.File)
				require.Contains(t, strings.Split(string(out), "\n")[e.Line-1], e.New)
			}
		})
	}
}

func TestFileRefuses(t *testing.T) {
	paved := Target{Kind: pin.Paved, To: "v0.3.0"}
	tests := []struct {
		name, file, in string
		want           error
	}{
		{"branch", ".github/workflows/ci.yml", "    uses: paved-dev/paved/x.yml@main\n", ErrNotSemver},
		{"commit with comment", ".github/workflows/ci.yml", "    uses: paved-dev/paved/x.yml@0123456789abcdef0123456789abcdef01234567 # v0.2.0\n", ErrCommitPinned},
		{"dagger.json pin", "dagger.json", `{"dependencies": [{"name": "paved", "source": "github.com/paved-dev/paved@v0.2.0", "pin": "0123456789abcdef0123456789abcdef01234567"}]}`, ErrCommitPinned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := File(tc.file, []byte(tc.in), paved)
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			require.Contains(t, err.Error(), tc.file+" line 1")
		})
	}
}

// TestFileRefusesAssembledImage: an image built from an ARG and text is
// not moved in some other ARG that happens to name the old image.
func TestFileRefusesAssembledImage(t *testing.T) {
	base := Target{Kind: pin.Base, From: "python-base:1.0", To: newBase}
	in := "ARG REG=registry.example.com/platform\nARG BASE=registry.example.com/platform/python-base:1.0\nFROM ${REG}/python-base:1.0\n"
	_, _, err := File("Dockerfile", []byte(in), base)
	require.ErrorIs(t, err, ErrNotFound)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), "Dockerfile line 3")
}

func TestOverlaps(t *testing.T) {
	base := func(from string) Target { return Target{Kind: pin.Base, From: from, To: newBase} }
	mod := func(from string) Target { return Target{Kind: pin.Module, From: from, To: "v1.0.0"} }
	tests := []struct {
		name string
		a, b Target
		want bool
	}{
		{"two paved", Target{Kind: pin.Paved, To: "v0.3.0"}, Target{Kind: pin.Paved, To: "v0.4.0"}, true},
		{"short and full base", base("python-base:1.0"), base("registry.example.com/platform/python-base:1.0"), true},
		{"base without tag", base("python-base"), base("python-base:1.0"), true},
		{"other tags", base("python-base:1.0"), base("python-base:1.1"), false},
		{"other repositories", base("python-base:1.0"), base("python-base-slim:1.0"), false},
		{"module suffix", mod("git.example.com/modules/db.git"), mod("git::https://git.example.com/modules/db.git"), true},
		{"other module", mod("modules/db.git"), mod("modules/dbx.git"), false},
		{"kinds differ", base("python-base:1.0"), mod("python-base:1.0"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.a.Overlaps(tc.b))
			require.Equal(t, tc.want, tc.b.Overlaps(tc.a))
		})
	}
}

func TestCurrent(t *testing.T) {
	paved := Target{Kind: pin.Paved, To: "v0.3.0"}
	tests := []struct {
		version string
		current bool
	}{
		{"v0.3.0", true}, {"0.3.0", true}, {"v0.4.0", true}, {"v1.0.0", true}, {"v0.3.1", true},
		{"v0.2.9", false}, {"v0.3.0-rc.1", false}, {"v0.1.0", false}, {"main", false},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			p := pin.Pin{Kind: pin.Paved, Version: tc.version, Semver: pin.IsSemver(tc.version)}
			require.Equal(t, tc.current, paved.Current(p))
		})
	}
}

func TestTargetValidate(t *testing.T) {
	tests := []struct {
		name string
		t    Target
		ok   bool
	}{
		{"paved", Target{Kind: pin.Paved, To: "v0.3.0"}, true},
		{"paved not semver", Target{Kind: pin.Paved, To: "main"}, false},
		{"base", Target{Kind: pin.Base, From: "python-base:1.0", To: newBase}, true},
		{"base without digest", Target{Kind: pin.Base, From: "python-base:1.0", To: "python-base:1.1"}, false},
		{"terraform", Target{Kind: pin.Module, From: "git.example.com/m.git", To: "v1.0.0"}, true},
		{"terraform query in ref", Target{Kind: pin.Module, From: "git.example.com/m.git", To: "v1&x=y"}, false},
		{"kind", Target{Kind: "helm", To: "v1.0.0"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.t.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

// FuzzFile checks the rewriter's promises on any input: it never panics,
// an unedited file comes back byte for byte, only edited lines change, and
// the pins it moved read the new version afterwards.
func FuzzFile(f *testing.F) {
	f.Add(".github/workflows/ci.yml", "jobs:\n  p:\n    uses: paved-dev/paved/x.yml@v0.1.0\n")
	f.Add("Makefile", "ci:\n\tdagger call -m github.com/paved-dev/paved@v0.2.0 --paved-version v0.2.0\n")
	f.Add("Dockerfile", "ARG BASE=r/python-base:1.0\nFROM ${BASE}\nFROM r/python-base:1.0 AS b\n")
	f.Add("paved.yaml", "build:\n  base: r/python-base:1.0\n")
	f.Add("main.tf", "  source = \"git::https://git.example.com/modules/db.git?ref=v3.1.0\"\n")
	targets := []Target{
		{Kind: pin.Paved, To: "v0.3.0"},
		{Kind: pin.Base, From: "python-base:1.0", To: newBase},
		{Kind: pin.Module, From: "git.example.com/modules/db.git", To: "v3.2.0"},
	}
	f.Fuzz(func(t *testing.T, file, in string) {
		for _, target := range targets {
			out, edits, err := File(file, []byte(in), target)
			if err != nil {
				continue
			}
			if len(edits) == 0 {
				require.Equal(t, in, string(out))
				continue
			}
			before, after := splitLines([]byte(in)), splitLines(out)
			require.Equal(t, len(before), len(after), "line count")
			edited := map[int]bool{}
			for _, e := range edits {
				edited[e.Line-1] = true
			}
			for i := range before {
				if !edited[i] {
					require.Equal(t, before[i], after[i], "line %d", i+1)
				}
			}
			pins, err := pin.Scan(file, out)
			if err != nil {
				continue
			}
			for _, p := range pins {
				if edited[p.Line-1] && target.Matches(p) && target.Kind == pin.Paved {
					require.True(t, target.Current(p), "pin %+v after the rewrite", p)
				}
			}
		}
	})
}
