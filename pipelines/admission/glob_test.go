package admission

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

// The admission policies decide "allowed base repository" with the
// translated expression; paved build decides it with policy.Check. They
// must agree on every repository.
func TestGlobRegexpAgreesWithThePolicy(t *testing.T) {
	globs := []string{"registry.example.com/platform/*", "index.docker.io/library/debian", "*/team-?/base", "ghcr.io/acme/*/images/*"}
	repos := []string{
		"registry.example.com/platform/static", "registry.example.com/platform/team/deep", "registry.example.com/platformx/static",
		"registry.example.com/other/static", "index.docker.io/library/debian", "index.docker.io/library/debian-slim",
		"quay.io/team-a/base", "quay.io/team-ab/base", "quay.io/x/team-a/base", "ghcr.io/acme/x/images/y", "ghcr.io/acme/x/images/y/z",
		"registry.example.com/platform", "registryXexample.com/platform/static",
	}
	re, err := globRegexp(globs)
	require.NoError(t, err)
	expr := regexp.MustCompile("^" + re + "$")
	p := &policy.Policy{Bases: policy.Bases{Allowed: globs}}
	for _, repo := range repos {
		t.Run(repo, func(t *testing.T) {
			r, err := name.NewRepository(repo)
			require.NoError(t, err)
			_, checkErr := p.Check(policy.Base{Ref: r.Tag("1"), Digest: r.Digest("sha256:" + strings.Repeat("0", 64))}, time.Now())
			require.Equal(t, checkErr == nil, expr.MatchString(repo), "policy.Check says %v", checkErr)
		})
	}
}

func TestGlobRegexpRefusesClasses(t *testing.T) {
	_, err := globRegexp([]string{"registry.example.com/platform/[ab]*"})
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), `bases.allowed "registry.example.com/platform/[ab]*": character classes`)
}
