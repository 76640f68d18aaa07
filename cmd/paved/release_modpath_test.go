package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReleaseModulePath(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod":           "module example.com/tool\n\ngo 1.22\n",
		"cmd/tool/main.go": "package main\n\nimport _ \"example.com/tool/lib\"\n\nfunc main() {}\n",
		"lib/lib.go":       "package lib\n",
	})
	code, stdout, stderr := runCLI(t, "release", "module-path", "v2", "--repo", dir, "--output", "json")
	require.Equal(t, 0, code, stderr)
	var res modulePathResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, modulePathResult{Module: "example.com/tool/v2", Changed: []string{"cmd/tool/main.go", "go.mod"}}, res)
	data, err := os.ReadFile(filepath.Join(dir, "cmd/tool/main.go"))
	require.NoError(t, err)
	require.Contains(t, string(data), `import _ "example.com/tool/v2/lib"`)

	code, stdout, stderr = runCLI(t, "release", "module-path", "v2", "--repo", dir)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "module example.com/tool/v2: 0 files changed\n", stdout)

	for _, args := range [][]string{{"two"}, {"2"}, {"v2", "--repo", t.TempDir()}} {
		code, _, stderr = runCLI(t, append([]string{"release", "module-path"}, args...)...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}
