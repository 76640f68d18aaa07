package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// daggerCommands is the file of the Dagger module that builds every paved
// command line the module runs, from plain values.
const daggerCommands = repoRoot + "/.dagger/commands.go"

// daggerDriver calls every command builder of .dagger/commands.go with the
// values the module passes (its container paths, a function's optional
// arguments set and unset) and prints the command lines as JSON.
const daggerDriver = `package main

import (
	"encoding/json"
	"os"
)

func main() {
	const repo, img, key, db = "127.0.0.1:5000/services/api", "127.0.0.1:5000/services/api@sha256:0123", "/run/secrets/cosign.key", "/var/lib/vulndb"
	lines := map[string][]string{
		"buildCommand":            buildCommand(repo, "", nil),
		"buildCommand base":       buildCommand(repo, "127.0.0.1:5000/platform/static:1", []string{"--policy", "policy.yaml"}),
		"layoutCommand":           layoutCommand("/in/image", "", nil),
		"layoutCommand base":      layoutCommand("/in/image", "127.0.0.1:5000/platform/static:1", []string{"--platform", "linux/arm64"}),
		"sbomCommand":             sbomCommand("oci-layout:/in/image", "spdx-json", "/out/sbom.json"),
		"sbomCommand cyclonedx":   sbomCommand(img, "cyclonedx-json", "/out/sbom.json"),
		"scanCommand sarif":       scanCommand(img, db, "sarif", "/out/report", nil),
		"scanCommand json":        scanCommand(img, db, "json", "/out/report", []string{"--severity", "CRITICAL"}),
		"scanCommand table":       scanCommand("oci-layout:/in/image", db, "table", "/out/report", []string{"--ignore-unfixed"}),
		"dbUpdateCommand":         dbUpdateCommand(db, ""),
		"dbUpdateCommand mirror":  dbUpdateCommand(db, "127.0.0.1:5000/mirror/trivy-db:2"),
		"signCommand":             signCommand(img, key, []string{"--force"}),
		"deployCommand":           deployCommand("https://git.example.com/gitops.git", "api", "dev", img, nil),
		"runCommand":              runCommand(".", "", "/out", db, "", nil),
		"runCommand env key args": runCommand("services/api", "dev", "/out", db, key, []string{"--skip-deploy"}),
		"versionCommand":          versionCommand(),
	}
	if err := json.NewEncoder(os.Stdout).Encode(lines); err != nil {
		os.Exit(1)
	}
}
`

// TestDaggerCommandLines compiles .dagger/commands.go alone with a driver
// that calls every command builder, and parses each command line with the
// CLI's own flag parsing. The Dagger engine cannot run here; this is what
// the module would ask of paved.
func TestDaggerCommandLines(t *testing.T) {
	builders := commandBuilders(t)
	for name := range builders {
		require.Contains(t, daggerDriver, name+"(", "the driver does not call %s of %s", name, daggerCommands)
	}
	lines := runDaggerDriver(t)
	names := make([]string, 0, len(lines))
	for name := range lines {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		require.NoError(t, parseCommandLine(lines[name]), "%s builds a command line paved refuses: %q", name, lines[name])
	}
}

// commandBuilders returns the functions of commands.go, and fails when a
// paved command line is built anywhere else in the module: every []string
// literal starting with "paved" must be in commands.go.
func commandBuilders(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, ".dagger", "*.go"))
	require.NoError(t, err)
	builders := map[string]bool{}
	for _, file := range files {
		if strings.HasSuffix(file, ".gen.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		require.NoError(t, err)
		inCommands := filepath.Base(file) == filepath.Base(daggerCommands)
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncDecl:
				if inCommands && x.Recv == nil {
					builders[x.Name.Name] = true
				}
			case *ast.CompositeLit:
				if len(x.Elts) > 0 && !inCommands {
					if lit, ok := x.Elts[0].(*ast.BasicLit); ok && lit.Value == strconv.Quote("paved") {
						t.Errorf("%s builds a paved command line outside %s: move it there so it is checked", file, daggerCommands)
					}
				}
			}
			return true
		})
	}
	require.NotEmpty(t, builders)
	return builders
}

// runDaggerDriver runs the driver with a copy of commands.go in a module of
// its own (standard library only: nothing is downloaded).
func runDaggerDriver(t *testing.T) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(daggerCommands)
	require.NoError(t, err)
	for name, data := range map[string][]byte{
		"go.mod":      []byte("module daggercommands\n\ngo 1.22\n"),
		"commands.go": src,
		"driver.go":   []byte(daggerDriver),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=", "GOFLAGS=", "GOWORK=off")
	out, err := cmd.Output()
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "running the Dagger command driver: %s", stderr)
	var lines map[string][]string
	require.NoError(t, json.Unmarshal(out, &lines))
	return lines
}
