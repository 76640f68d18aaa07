package admission_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/admission"
	"github.com/paved-dev/paved/pipelines/failure"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	files := []admission.File{{Path: "dev.yaml", Data: []byte("a: 1\n")}, {Path: "prod.yaml", Data: []byte("b: 2\n")}}

	rep, err := admission.Check(filepath.Join(dir, "none"), files, true)
	require.Error(t, err, "a directory that does not exist yet is stale")
	require.Equal(t, []admission.FileState{{Path: "dev.yaml", State: "missing"}, {Path: "prod.yaml", State: "missing"}}, rep.Files)

	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f.Path), f.Data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("not ours\n"), 0o644))
	rep, err = admission.Check(dir, files, true)
	require.NoError(t, err)
	require.Empty(t, rep.Stale())

	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod.yaml"), []byte("b: 3\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte("c: 4\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "dev.yaml")))
	rep, err = admission.Check(dir, files, true)
	require.Error(t, err)
	require.True(t, errors.Is(err, admission.ErrStale))
	require.Equal(t, failure.Policy, failure.KindOf(err))
	require.Contains(t, err.Error(), "(dev.yaml missing, prod.yaml differs, qa.yaml extra)")
	require.Equal(t, []admission.FileState{{Path: "dev.yaml", State: "missing"}, {Path: "prod.yaml", State: "differs"}, {Path: "qa.yaml", State: "extra"}}, rep.Files)
}

// An export of some environments leaves the other environments' files be.
func TestCheckPartialExport(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dev.yaml"), []byte("a: 1\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod.yaml"), []byte("b: 2\n"), 0o644))
	rep, err := admission.Check(dir, []admission.File{{Path: "prod.yaml", Data: []byte("b: 2\n")}}, false)
	require.NoError(t, err)
	require.Equal(t, []admission.FileState{{Path: "prod.yaml", State: "current"}}, rep.Files)
}
