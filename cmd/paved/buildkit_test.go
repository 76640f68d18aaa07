package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
)

func TestParseSecrets(t *testing.T) {
	t.Setenv("PAVED_TEST_NPM_TOKEN", "tok-123")
	tests := []struct {
		name  string
		specs []string
		want  []build.Secret
		err   string
	}{
		{name: "from env", specs: []string{"id=npm,env=PAVED_TEST_NPM_TOKEN"}, want: []build.Secret{{ID: "npm", Value: []byte("tok-123")}}},
		{name: "from file", specs: []string{"id=netrc,src=/home/me/.netrc"}, want: []build.Secret{{ID: "netrc", File: "/home/me/.netrc"}}},
		{name: "unset env", specs: []string{"id=npm,env=PAVED_TEST_UNSET"}, err: "environment variable PAVED_TEST_UNSET is not set"},
		{name: "both sources", specs: []string{"id=npm,env=PAVED_TEST_NPM_TOKEN,src=/x"}, err: "exactly one of env=VAR or src=FILE"},
		{name: "no source", specs: []string{"id=npm"}, err: "exactly one of env=VAR or src=FILE"},
		{name: "no id", specs: []string{"env=PAVED_TEST_NPM_TOKEN"}, err: "want id=ID"},
		{name: "unknown key", specs: []string{"id=npm,value=tok"}, err: "unknown key \"value\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSecrets(tt.specs)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.NotContains(t, err.Error(), "tok-123")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestBuildKitFlags(t *testing.T) {
	host := testRegistry(t)
	from := "FROM " + host + "/platform/static:1\n"
	run := writeTree(t, map[string]string{"Dockerfile": from + "RUN make\n"})
	none := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	t.Setenv("PAVED_TEST_NPM_TOKEN", "tok-123")
	tests := []struct {
		name     string
		args     []string
		env      string
		wantCode int
		wantErr  []string
	}{
		{"RUN without an endpoint names both ways", nil, "", 2, []string{"Dockerfile:2", "--buildkit-host", "paved buildkit serve", "dagger call build"}},
		{"unreachable endpoint is transient", []string{"--buildkit-host", none}, "", 4, []string{"connecting to BuildKit", "none.sock"}},
		{"BUILDKIT_HOST is read", nil, none, 4, []string{"connecting to BuildKit", "none.sock"}},
		{"secret without an endpoint", []string{"--secret", "id=npm,env=PAVED_TEST_NPM_TOKEN"}, "", 2, []string{"need a BuildKit endpoint"}},
		{"bad cache spec", []string{"--buildkit-host", none, "--cache-to", "type=s3"}, "", 2, []string{"invalid --cache-to", "type=registry"}},
		{"bad secret spec", []string{"--buildkit-host", none, "--secret", "npm"}, "", 2, []string{"invalid --secret"}},
		{"secret not given", []string{"--buildkit-host", none}, "", 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BUILDKIT_HOST", tc.env)
			dir := run
			if tc.name == "secret not given" {
				dir = writeTree(t, map[string]string{"Dockerfile": from + "RUN --mount=type=secret,id=npm make\n"})
				tc.wantErr = []string{"Dockerfile:2", "secret \"npm\"", "--secret id=npm,env=VAR"}
			}
			args := append([]string{"build", dir, "--push", host + "/services/app"}, tc.args...)
			code, stdout, stderr := runCLI(t, args...)
			require.Equal(t, tc.wantCode, code, stderr)
			require.Empty(t, stdout)
			require.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			for _, m := range tc.wantErr {
				require.Contains(t, stderr, m)
			}
			require.NotContains(t, stderr, "tok-123")
			require.NotContains(t, catalog(t, host), "services/app", "nothing pushed")
		})
	}
}
