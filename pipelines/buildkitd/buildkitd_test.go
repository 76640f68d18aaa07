package buildkitd

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/require"
)

func TestTOML(t *testing.T) {
	var cfg struct {
		Worker struct {
			OCI struct {
				Enabled     bool
				Snapshotter string
			} `toml:"oci"`
			Containerd struct{ Enabled bool } `toml:"containerd"`
		} `toml:"worker"`
		Registry map[string]struct{ HTTP, Insecure bool } `toml:"registry"`
	}
	require.NoError(t, toml.Unmarshal([]byte(TOML(Config{InsecureRegistries: []string{"10.0.0.5:5000", "registry.lan"}})), &cfg))
	require.True(t, cfg.Worker.OCI.Enabled)
	require.Equal(t, "overlayfs", cfg.Worker.OCI.Snapshotter)
	require.False(t, cfg.Worker.Containerd.Enabled)
	require.Equal(t, map[string]struct{ HTTP, Insecure bool }{
		"10.0.0.5:5000": {HTTP: true, Insecure: true},
		"registry.lan":  {HTTP: true, Insecure: true},
	}, cfg.Registry)
}

func TestLookup(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("PATH", t.TempDir())
	_, err := Lookup(cache)
	require.ErrorIs(t, err, ErrNotInstalled)
	require.ErrorContains(t, err, "hack/buildkit/install.sh")

	bin := filepath.Join(cache, Version, "bin", "buildkitd")
	require.NoError(t, os.MkdirAll(filepath.Dir(bin), 0o755))
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	got, err := Lookup(cache)
	require.NoError(t, err)
	require.Equal(t, bin, got)
}

func TestStartFailsClearly(t *testing.T) {
	_, err := Start(context.Background(), Config{})
	require.ErrorContains(t, err, "Binary and Root are required")

	// A "daemon" that exits at once.
	bin := filepath.Join(t.TempDir(), "buildkitd")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho broken >&2\nexit 1\n"), 0o755))
	_, err = Start(context.Background(), Config{Binary: bin, Root: t.TempDir()})
	if os.Geteuid() != 0 {
		require.ErrorContains(t, err, "runs as root")
		return
	}
	require.Error(t, err)
	require.Regexp(t, "buildkitd exited while starting|runc is not installed", err.Error())
}
