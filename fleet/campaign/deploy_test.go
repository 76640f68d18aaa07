package campaign

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/deploy"
)

// deployFleet is a test fleet with a GitOps repository (plain manifests,
// one dev environment) and each service's image in a loopback registry.
type deployFleet struct {
	*testFleet
	gitops *fleettest.Repo
	images []name.Digest // REPO@sha256:… of each service
}

func newDeployFleet(t *testing.T, n int) *deployFleet {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	df := &deployFleet{testFleet: newTestFleet(t, n)}
	config := "environments:\n  - name: dev\nservices:\n"
	files := map[string]string{}
	for _, s := range df.services {
		repo := u.Host + "/platform/" + s.Name
		img, err := random.Image(256, 1)
		require.NoError(t, err)
		ref, err := name.ParseReference(repo + ":build")
		require.NoError(t, err)
		require.NoError(t, remote.Write(ref, img))
		d, err := img.Digest()
		require.NoError(t, err)
		df.images = append(df.images, ref.Context().Digest(d.String()))
		config += fmt.Sprintf("  %s:\n    layout: manifests\n    path: manifests/%s/{env}\n    image: %s\n", s.Name, s.Name, repo)
		files["manifests/"+s.Name+"/dev/deployment.yaml"] = fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: %s:v1\n", s.Name, repo)
	}
	files[deploy.ConfigFile] = config
	df.gitops = fleettest.NewRepo(t, df.dir, "gitops", files)
	return df
}

// deploy runs what a service's pipeline does last once its gates passed:
// paved (at pavedVersion) bumps the GitOps repository to the image built
// from the service's main tip (revision: that tip, or the first commit).
func (df *deployFleet) deploy(t *testing.T, i int, pavedVersion string, fromFirst bool) {
	t.Helper()
	rev := fleettest.Tip(t, df.repos[i].Dir, "main")
	if fromFirst {
		rev = df.first[i]
	}
	old := version.Version
	version.Version = pavedVersion
	defer func() { version.Version = old }()
	_, err := deploy.Bump(context.Background(), df.gitops.Dir, deploy.BumpRequest{
		Service: df.services[i].Name, Env: "dev", Image: df.images[i], SourceRevision: rev, DeployedBy: "ci",
	}, deploy.WithAuthor("ci", "ci@example.com"))
	require.NoError(t, err)
}

// TestCampaignOnDeployRecords: a plain-git fleet whose wrappers commit no
// run files advances on the GitOps repository's deploy records alone, and
// only on records of the target version built from the merge or later.
func TestCampaignOnDeployRecords(t *testing.T) {
	ctx := context.Background()
	df := newDeployFleet(t, 6)
	waves, err := ParseWaves("canary:svc-000,100%")
	require.NoError(t, err)
	e := New(df.store())
	c, err := e.Start(ctx, Spec{
		Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: df.services, Waves: waves, MaxInFlight: 4,
		Health: Health{Ratio: 1, Window: Duration(24 * time.Hour), Check: "paved"}, GitOps: &fleet.GitOps{Repository: df.gitops.Dir},
	})
	require.NoError(t, err)

	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 0, c.Wave)
	require.Equal(t, []string{"svc-000"}, c.Gate().Missing, "merged, no deploy yet")

	df.deploy(t, 0, "v0.2.0", false) // the old version deployed the merge: does not count
	df.deploy(t, 0, "v0.3.0", true)  // the new version, from before the merge: does not count
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 0, c.Wave)
	require.Equal(t, []string{"svc-000"}, c.Gate().Missing)

	df.deploy(t, 0, "v0.3.0", false)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 1, c.Wave, "the canary passed on its deploy record")
	v := c.Service("svc-000").Health
	require.Equal(t, HealthOK, v.Status)
	require.Equal(t, EvidenceDeploy, v.Evidence)
	require.Equal(t, deploy.VersionsFile, v.File)
	require.Equal(t, fleettest.Tip(t, df.repos[0].Dir, "main"), v.Commit)
	require.Contains(t, v.Message, "deployed to dev by paved v0.3.0")

	// Wave 2 merged; all but svc-003 deploy.
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	for i := 1; i < 6; i++ {
		if i != 3 {
			df.deploy(t, i, "v0.3.0", false)
		}
	}
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, Running, c.State)
	require.Equal(t, []string{"svc-003"}, c.Gate().Missing)
	require.Contains(t, c.Service("svc-003").Health.Message, "no deploy record in versions.yaml from "+fleettest.Tip(t, df.repos[3].Dir, "main")[:12])

	df.deploy(t, 3, "v0.3.0", false)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, Done, c.State)
	for _, s := range c.Services {
		require.Equal(t, EvidenceDeploy, s.Health.Evidence, s.Name)
	}
}
