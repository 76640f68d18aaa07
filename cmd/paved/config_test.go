package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "paved.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: paved.dev/v1\nkind: Service\nname: api\nbuild:\n  kind: go\n  bsae: r.example/base:1\n"), 0o644))
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"reference app", []string{"config", "validate", "../../examples/reference-apps/go-api/paved.yaml"}, 0, "valid (service go-api)", ""},
		{"reference app as JSON", []string{"config", "validate", "../../examples/reference-apps/go-api/paved.yaml", "-o", "json"}, 0, `"valid": true`, ""},
		{"typo", []string{"config", "validate", bad}, 2, "", `line 6: unknown key "bsae" in build (did you mean "base"?)`},
		{"missing file", []string{"config", "validate", filepath.Join(dir, "nope.yaml")}, 2, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			require.Equal(t, tt.code, code, stderr)
			require.Contains(t, stdout, tt.stdout)
			require.Contains(t, stderr, tt.stderr)
		})
	}
}
