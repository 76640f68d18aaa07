package campaign

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/inventory"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

const (
	oldBase     = "registry.example.com/platform/python-base:1.0"
	fixedDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	fixedBase   = "registry.example.com/platform/python-base:1.0.1@" + fixedDigest
	oldDigest   = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	policyYAML  = `# Platform policy: owned by the platform team.
apiVersion: paved.dev/v1
kind: PlatformPolicy
bases:
  allowed:
    - registry.example.com/platform/*   # our bases only
`
)

// TestBaseCampaign is the critical-CVE-in-a-base scenario: find the
// services on python-base:1.0, move them to the fixed base, and deny the
// old base from a date.
func TestBaseCampaign(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 6)
	platform := fleettest.NewRepo(t, tf.dir, "platform", map[string]string{"policy.yaml": policyYAML})

	// Discovery: the inventory finds the services building on the old base.
	f := &fleet.Fleet{APIVersion: fleet.APIVersion, Kind: fleet.Kind, Dir: tf.dir, Services: tf.services}
	inv, err := inventory.Run(ctx, f, inventory.WithCacheDir(t.TempDir()), inventory.WithoutRegistry())
	require.NoError(t, err)
	var vulnerable []string
	for _, m := range inv.UsesBase("python-base:1.0").Sources {
		vulnerable = append(vulnerable, m.Service)
	}
	require.Equal(t, []string{"svc-000", "svc-002", "svc-004"}, vulnerable)

	// The campaign over the whole fleet moves exactly those.
	e := New(tf.store())
	waves, err := ParseWaves("canary:svc-000,100%")
	require.NoError(t, err)
	c, err := e.Start(ctx, Spec{
		Target:   rewrite.Target{Kind: pin.Base, From: "python-base:1.0", To: fixedBase},
		Services: tf.services, Waves: waves, MaxInFlight: 4,
		Health: Health{Ratio: 1, Window: Duration(24 * time.Hour)},
		Policy: &PolicyFile{Repository: platform.Dir, Path: "policy.yaml"},
	})
	require.NoError(t, err)
	require.Equal(t, "base-python-base-1.0.1", c.ID)
	for i := 0; i < 2; i++ {
		c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
		require.NoError(t, err)
		for _, s := range c.InWave(c.Wave) {
			if s.Status == Merged {
				tf.report(t, serviceIndex(tf, s.Name), "v0.2.0", "ok", "")
			}
		}
	}
	deny := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true, DenyOldBaseFrom: deny})
	require.NoError(t, err)
	require.Equal(t, Done, c.State)
	var moved []string
	for _, s := range c.Services {
		if s.Status == Merged {
			moved = append(moved, s.Name)
			require.Equal(t, "FROM "+fixedBase+"\nCOPY app /app\n", fleettest.ReadFile(t, tf.repos[serviceIndex(tf, s.Name)].Dir, "main", "Dockerfile"))
		} else {
			require.Equal(t, Skipped, s.Status, s.Name)
		}
	}
	sort.Strings(moved)
	require.Equal(t, vulnerable, moved)

	// The policy now denies the old base from the date, keeping the rest.
	require.Equal(t, &Denial{Image: oldBase, From: "2026-12-01", Commit: fleettest.Tip(t, platform.Dir, "main")}, c.Denial)
	data := fleettest.ReadFile(t, platform.Dir, "main", "policy.yaml")
	require.Contains(t, data, policyYAML)
	p, err := policy.Parse([]byte(data))
	require.NoError(t, err)
	ref, err := name.ParseReference(oldBase)
	require.NoError(t, err)
	base := policy.Base{Ref: ref, Digest: ref.Context().Digest(oldDigest)}
	d, err := p.Check(base, deny.Add(-24*time.Hour))
	require.NoError(t, err, "allowed before the date")
	require.Len(t, d.Warnings, 1)
	_, err = p.Check(base, deny.Add(time.Hour))
	require.Equal(t, failure.Policy, failure.KindOf(err), "denied after the date")
	require.ErrorContains(t, err, "replaced by paved campaign "+c.ID)
	require.ErrorContains(t, err, "use "+fixedBase)
	fixed, err := name.ParseReference(fixedBase)
	require.NoError(t, err)
	_, err = p.Check(policy.Base{Ref: fixed, Digest: fixed.(name.Digest)}, deny.Add(time.Hour))
	require.NoError(t, err, "the fixed base stays allowed")

	// Denying again is a no-op.
	again, err := e.DenyOldBase(ctx, c.ID, deny)
	require.NoError(t, err)
	require.Equal(t, c.Denial, again.Denial)
	require.Equal(t, data, fleettest.ReadFile(t, platform.Dir, "main", "policy.yaml"))
}

func serviceIndex(tf *testFleet, name string) int {
	for i, s := range tf.services {
		if s.Name == name {
			return i
		}
	}
	return -1
}
