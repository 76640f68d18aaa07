package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/build"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestFlagHints checks that each hint follows its sentinel through any
// wrapping, keeps the error's class, and names flags paved has or variables
// it reads.
func TestFlagHints(t *testing.T) {
	flags := cliFlags()
	flagRef := regexp.MustCompile(`--([a-z][a-z0-9-]*)`)
	envRef := regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b`)
	for _, h := range flagHints {
		t.Run(h.err.Error(), func(t *testing.T) {
			err := fmt.Errorf("preflight: %w", failure.PolicyErr(fmt.Errorf("checking %q: %w", "x", h.err)))
			got := withFlagHint(err)
			require.True(t, strings.HasSuffix(got.Error(), "; "+h.hint), got.Error())
			require.ErrorIs(t, got, h.err)
			require.Equal(t, 3, failure.ExitCode(failure.KindOf(got)))
			refs := flagRef.FindAllStringSubmatch(h.hint, -1)
			vars := envRef.FindAllString(h.hint, -1)
			require.NotZero(t, len(refs)+len(vars), "a hint names a flag or a variable")
			for _, m := range refs {
				require.True(t, flags[m[1]], "--%s is no flag of paved", m[1])
			}
			for _, v := range vars {
				require.Contains(t, envVars, v, "paved reads no variable %s", v)
			}
		})
	}
	secret := withFlagHint(fmt.Errorf("Dockerfile:2: RUN mounts secret %q: %w", "npm", &build.MissingSecretError{ID: "npm"}))
	require.Equal(t, `Dockerfile:2: RUN mounts secret "npm": the secret was not given; pass --secret id=npm,env=VAR or --secret id=npm,src=FILE`, secret.Error())

	plain := errors.New("boom")
	require.Equal(t, plain, withFlagHint(plain), "an error without a sentinel is left alone")
}
