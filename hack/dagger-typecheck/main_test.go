package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// repoRoot is paved's repository, two levels up from this package.
const repoRoot = "../.."

func TestReadAPI(t *testing.T) {
	dir, err := sdkDir(filepath.Join(repoRoot, ".dagger"))
	require.NoError(t, err)
	api, err := readAPI(filepath.Join(dir, "dagger.gen.go"))
	require.NoError(t, err)

	for _, want := range []string{"Client", "Container", "Directory", "File", "Secret", "CacheVolume", "ContainerWithExecOpts", "DirectoryDockerBuildOpts", "BuildArg"} {
		require.Contains(t, api.Types, want)
	}
	require.Contains(t, api.Consts, "ReturnTypeAny")
	// The standalone client's connection API is not a module's.
	for _, absent := range []string{"Connect", "ClientOpt", "WithLogOutput"} {
		require.NotContains(t, api.Types, absent)
		require.NotContains(t, api.Funcs, absent)
	}
	require.True(t, slices.IsSorted(api.Types))
}

func TestReadAPIRefusesAFileWithoutTypes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dagger.gen.go")
	require.NoError(t, os.WriteFile(file, []byte("package dagger\n\nfunc helper() {}\n"), 0o644))
	_, err := readAPI(file)
	require.ErrorContains(t, err, "no exported types")
}

// TestTypeCheckCatchesErrors runs hack/dagger-typecheck.sh on a copy of the
// module, as committed and with one mistake each: the check must pass on
// the first and fail, naming the mistake, on the others.
func TestTypeCheckCatchesErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("vets a copy of the Dagger module (compiles the SDK's dependencies once)")
	}
	tests := []struct {
		name     string
		file     string
		old, new string
		wantErr  string // empty: the check passes
	}{
		{name: "module as committed"},
		{name: "misspelt method", file: "toolchain.go", old: ".WithMountedCache(", new: ".WithMountedCach(", wantErr: "WithMountedCach"},
		{name: "unknown option field", file: "toolchain.go", old: "Target: target", new: "Stage: target", wantErr: "Stage"},
		{name: "secret passed as an argument", file: "pipeline.go", old: `signCommand(image, cosignKeyPath, args)`, new: `signCommand(image, cosignKey, args)`, wantErr: "cannot use cosignKey"},
		{name: "method of a newer SDK", file: "main.go", old: "img.Publish(ctx, repository)", new: "img.PublishAll(ctx, repository)", wantErr: "PublishAll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyModule(t)
			if tt.file != "" {
				path := filepath.Join(dir, tt.file)
				src, err := os.ReadFile(path)
				require.NoError(t, err)
				require.Contains(t, string(src), tt.old, "the mutation no longer applies: update the test")
				require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(src), tt.old, tt.new, 1)), 0o644))
			}
			out, err := typecheck(t, dir)
			if tt.wantErr == "" {
				require.NoError(t, err, out)
				return
			}
			require.Error(t, err, "the type-check passed a module with a mistake:\n%s", out)
			require.Contains(t, out, tt.wantErr)
		})
	}
}

// copyModule copies the committed files of .dagger (not the generated
// bindings) into a temporary directory.
func copyModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(repoRoot, ".dagger"))
	require.NoError(t, err)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "dagger.gen.go" || !(strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(repoRoot, ".dagger", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	return dir
}

// typecheck runs the script offline and returns its combined output.
func typecheck(t *testing.T, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot, "hack", "dagger-typecheck.sh"), dir)
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
