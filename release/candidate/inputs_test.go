package candidate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/apps"
)

// TestInputsCheck: a missing key, database or base layout is bad input
// before the (minutes long) builds, not an internal error after them.
func TestInputsCheck(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "cosign.key")
	require.NoError(t, os.WriteFile(key, []byte("k"), 0o600))
	bases := baseLayout(t)
	ok := Inputs{BasesDir: bases, Bases: []apps.Base{{Image: "platform/static:1", Layout: "static"}}, DBDir: dir, Key: key}
	require.NoError(t, ok.Check())

	tests := []struct {
		name    string
		edit    func(*Inputs)
		wantErr string
	}{
		{"no bases", func(in *Inputs) { in.BasesDir = "" }, "the bases directory is required"},
		{"bases dir missing", func(in *Inputs) { in.BasesDir = filepath.Join(dir, "nope") }, "the bases directory"},
		{"layout missing", func(in *Inputs) {
			in.Bases = append(in.Bases, apps.Base{Image: "platform/node-base:1", Layout: "node-base"})
		}, "base platform/node-base:1 layout"},
		{"no key", func(in *Inputs) { in.Key = "" }, "the signing key is required"},
		{"key is a directory", func(in *Inputs) { in.Key = dir }, "want a file"},
		{"db missing", func(in *Inputs) { in.DBDir = filepath.Join(dir, "db") }, "the vulnerability database"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			in.Bases = append([]apps.Base{}, ok.Bases...)
			tc.edit(&in)
			err := in.Check()
			require.ErrorContains(t, err, tc.wantErr)
			require.Equal(t, failure.BadInput, failure.KindOf(err))
		})
	}
}

// TestBuildCompileError: source that does not compile is ErrCompile, so
// the command can blame the candidate (exit 3) rather than itself.
func TestBuildCompileError(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, "cmd", "paved"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/tiny\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "cmd", "paved", "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644))
	err := Build(context.Background(), src, "v0.2.0-rc.1", filepath.Join(t.TempDir(), "paved"), os.Environ())
	require.ErrorIs(t, err, ErrCompile)
	require.ErrorContains(t, err, "undefined")
}
