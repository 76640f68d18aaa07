package sbom_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/sbom"
)

func TestParseSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "image.img")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	tests := []struct {
		name string
		arg  string
		kind sbom.Kind
		str  string
	}{
		{"digest", "registry.example.com/app@sha256:" + strings.Repeat("a", 64), sbom.KindRegistry, "registry.example.com/app@sha256:" + strings.Repeat("a", 64)},
		{"tag", "127.0.0.1:5000/team/app:v1", sbom.KindRegistry, "127.0.0.1:5000/team/app:v1"},
		{"registry prefix", "registry:app:v1", sbom.KindRegistry, "app:v1"},
		{"layout prefix", "oci-layout:build/oci", sbom.KindLayout, "oci-layout:build/oci"},
		{"oci-dir prefix", "oci-dir:build/oci", sbom.KindLayout, "oci-layout:build/oci"},
		{"existing directory", dir, sbom.KindLayout, "oci-layout:" + dir},
		{"archive prefix", "docker-archive:out/app.img", sbom.KindTarball, "docker-archive:out/app.img"},
		{"tar path", "out/app.tar", sbom.KindTarball, "docker-archive:out/app.tar"},
		{"existing file", file, sbom.KindTarball, "docker-archive:" + file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := sbom.ParseSource(tt.arg)
			require.NoError(t, err)
			require.Equal(t, tt.kind, src.Kind())
			require.Equal(t, tt.str, src.String())
		})
	}
}

func TestParseSourceRefuses(t *testing.T) {
	for name, arg := range map[string]string{
		"empty":            "",
		"blank":            "  ",
		"empty layout":     "oci-layout:",
		"empty archive":    "docker-archive:",
		"bad reference":    "Registry.example.com/UPPER:tag",
		"bad digest":       "app@sha256:123",
		"missing rel path": "./no/such/dir",
		"missing abs path": "/no/such/dir",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := sbom.ParseSource(arg)
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), "error: %v", err)
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range sbom.Formats {
		got, err := sbom.ParseFormat(string(f))
		require.NoError(t, err)
		require.Equal(t, f, got)
	}
	_, err := sbom.ParseFormat("cyclonedx-xml")
	require.ErrorIs(t, err, sbom.ErrUnknownFormat)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

func FuzzParseSource(f *testing.F) {
	for _, seed := range []string{"app:v1", "oci-layout:dir", "docker-archive:x.tar", "registry:a/b@sha256:" + strings.Repeat("0", 64), "x.tar", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		src, err := sbom.ParseSource(arg)
		if err != nil {
			require.Equal(t, failure.BadInput, failure.KindOf(err))
			return
		}
		require.NotEmpty(t, src.String())
		if src.Kind() == sbom.KindRegistry {
			again, err := sbom.ParseSource("registry:" + src.String())
			require.NoError(t, err)
			require.Equal(t, src.String(), again.String())
		}
	})
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.spdx.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, sbom.WriteFile(path, []byte("new\n")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new\n", string(got))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	err = sbom.WriteFile(filepath.Join(dir, "missing", "x.json"), []byte("x"))
	require.Error(t, err)
	require.NoFileExists(t, filepath.Join(dir, "missing", "x.json"))
}

// TestSyftVersionMatchesGoMod keeps SyftVersion, which the SBOM names as
// its tool, in step with the Syft module paved is built with.
func TestSyftVersionMatchesGoMod(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(gomod), "\tgithub.com/anchore/syft "+sbom.SyftVersion+"\n")
}
