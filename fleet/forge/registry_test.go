package forge_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/forge"
	_ "github.com/paved-dev/paved/fleet/forge/gitea"
	_ "github.com/paved-dev/paved/fleet/forge/github"
	_ "github.com/paved-dev/paved/fleet/forge/gitlab"
	"github.com/paved-dev/paved/pipelines/failure"
)

// TestRegistry: the forge packages register themselves; an unknown name is
// bad input listing the registered ones; a registered forge is built from
// its Config, and its own bad input (Gitea has no default API URL) passes
// through.
func TestRegistry(t *testing.T) {
	require.Equal(t, []string{"gitea", "github", "gitlab"}, forge.Names())
	for _, name := range forge.Names() {
		require.NoError(t, forge.Known(name))
	}

	err := forge.Known("gogs")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.EqualError(t, err, `unknown forge "gogs": use gitea, github or gitlab`)
	_, err = forge.New("gogs", forge.Config{Token: "t"})
	require.EqualError(t, err, `unknown forge "gogs": use gitea, github or gitlab`)

	c, err := forge.New("gitlab", forge.Config{Token: "t", BaseURL: "https://gitlab.example.com/api/v4"})
	require.NoError(t, err)
	require.NotNil(t, c)
	_, err = forge.New("gitea", forge.Config{Token: "t"})
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.ErrorContains(t, err, "no API URL")

	require.Panics(t, func() { forge.Register("github", func(forge.Config) (forge.Client, error) { return nil, nil }) })
}
