package smoke

import (
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestRuntimeSpec(t *testing.T) {
	rootfs := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rootfs, "etc/passwd"),
		[]byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(rootfs, "etc/group"), []byte("root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n"), 0o644))

	tests := []struct {
		name     string
		config   v1.Config
		spec     Spec
		wantArgs []string
		wantUser specs.User
		wantCwd  string
		wantErr  string
	}{
		{name: "entrypoint and cmd", config: v1.Config{Entrypoint: []string{"python3"}, Cmd: []string{"/app/server.py"}, WorkingDir: "/app"},
			wantArgs: []string{"python3", "/app/server.py"}, wantCwd: "/app"},
		{name: "args replace both", config: v1.Config{Cmd: []string{"a"}}, spec: Spec{Args: []string{"b"}}, wantArgs: []string{"b"}, wantCwd: "/"},
		{name: "numeric user and group", config: v1.Config{Cmd: []string{"a"}, User: "65534:65534"},
			wantArgs: []string{"a"}, wantUser: specs.User{UID: 65534, GID: 65534}, wantCwd: "/"},
		{name: "user name gets its group", config: v1.Config{Cmd: []string{"a"}, User: "nobody"},
			wantArgs: []string{"a"}, wantUser: specs.User{UID: 65534, GID: 65534}, wantCwd: "/"},
		{name: "user and group names", config: v1.Config{Cmd: []string{"a"}, User: "nobody:staff"},
			wantArgs: []string{"a"}, wantUser: specs.User{UID: 65534, GID: 50}, wantCwd: "/"},
		{name: "id not in passwd", config: v1.Config{Cmd: []string{"a"}, User: "65532"},
			wantArgs: []string{"a"}, wantUser: specs.User{UID: 65532}, wantCwd: "/"},
		{name: "unknown user name", config: v1.Config{Cmd: []string{"a"}, User: "app"}, wantErr: `resolving image user "app"`},
		{name: "nothing to run", config: v1.Config{}, wantErr: "no entrypoint or command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RuntimeSpec(&v1.ConfigFile{Config: tt.config}, rootfs, tt.spec)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantArgs, got.Process.Args)
			require.Equal(t, tt.wantUser, got.Process.User)
			require.Equal(t, tt.wantCwd, got.Process.Cwd)
			require.True(t, got.Root.Readonly)
			for _, ns := range got.Linux.Namespaces {
				require.NotEqual(t, specs.NetworkNamespace, ns.Type, "the container uses the host's network")
			}
		})
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "PORT=8080"}, []string{"PORT=9000", "TRACE=1"})
	require.Equal(t, []string{"PATH=/bin", "PORT=9000", "TRACE=1"}, got)
}
