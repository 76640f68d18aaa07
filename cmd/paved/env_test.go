package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestEnvRegistry checks that env.go is the one place paved reads the
// environment, that every variable read is documented in envVars, and that
// the README's "Environment variables" table lists exactly those, with the
// same secrets.
func TestEnvRegistry(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "env.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "os" && (sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv" || sel.Sel.Name == "Environ") {
					t.Errorf("%s: os.%s: read the environment through env.go (getenv, lookupEnv)", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
	for _, name := range forge.Names() {
		token, apiURL := forgeEnv(name)
		require.Contains(t, envVars, token, "forge %s", name)
		require.Contains(t, envVars, apiURL, "forge %s", name)
	}
	require.Equal(t, sortedKeys(envVars), readmeEnvTable(t, false), "README's Environment variables table and envVars differ")
	var secrets []string
	for name, d := range envVars {
		if d.secret {
			secrets = append(secrets, name)
		}
	}
	sort.Strings(secrets)
	require.Equal(t, secrets, readmeEnvTable(t, true), "README's secrets and envVars' differ")
}

// readmeEnvTable returns the variables of the README's table, sorted; with
// onlySecrets, those marked secret.
func readmeEnvTable(t *testing.T, onlySecrets bool) []string {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(data), "\n### Environment variables\n")
	require.True(t, ok, "README has no Environment variables section")
	section, _, _ = strings.Cut(section, "\n#")
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| (yes|no) \\|")
	var names []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if !onlySecrets || m[2] == "yes" {
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

func sortedKeys(m map[string]envDoc) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestNoSecretInHelp sets every secret variable and checks that no flag of
// any verb shows its value as a default (--help prints defaults).
func TestNoSecretInHelp(t *testing.T) {
	for name, d := range envVars {
		if d.secret {
			t.Setenv(name, "s3cret-"+strings.ToLower(name))
		}
	}
	for _, c := range allCommands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			require.NotContains(t, f.DefValue, "s3cret-", "%s --%s defaults to a secret", c.CommandPath(), f.Name)
		})
	}
}

func TestSourceDateEpoch(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Time
		ok    bool
		bad   bool
	}{
		{value: "", ok: false},
		{value: "0", want: time.Unix(0, 0).UTC(), ok: true},
		{value: "1700000000", want: time.Unix(1700000000, 0).UTC(), ok: true},
		{value: "-1", bad: true},
		{value: "+5", bad: true},
		{value: "1.5", bad: true},
		{value: "2026-12-02", bad: true},
		{value: " 17", bad: true},
		{value: "99999999999999999999", bad: true},
	} {
		t.Run(strconv.Quote(tc.value), func(t *testing.T) {
			t.Setenv(envSourceDateEpoch, tc.value)
			got, ok, err := sourceDateEpoch()
			if tc.bad {
				require.Error(t, err)
				require.Equal(t, 2, failure.ExitCode(failure.KindOf(err)))
				require.Equal(t, `parsing SOURCE_DATE_EPOCH `+strconv.Quote(tc.value)+`: give Unix seconds, digits only, as date +%s prints them`, err.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}
