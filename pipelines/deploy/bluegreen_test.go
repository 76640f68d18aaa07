package deploy

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

const (
	webFile = "manifests/web/prod/web.yaml"
	webRepo = "ghcr.io/acme/web@"
)

// trustAll is a verifier that passes digestA, digestB and digestC.
func trustAll() *fakeVerifier {
	ok := map[string]bool{digestA: true, digestB: true, digestC: true}
	return &fakeVerifier{signed: ok, scanned: ok}
}

// TestBlueGreen walks a blue-green service in prod through bump, switch and
// rollback against a bare remote: each step changes web.yaml (byte-exact
// against golden files) and versions.yaml, and nothing else.
func TestBlueGreen(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	opts := testOpts(t, WithClock(testClock))
	state, _ := remoteState(t, url)

	// A bump writes the idle slot (green); traffic stays on blue.
	res, err := Bump(ctx, url, bumpReq("web", "prod", webRepo+digestA, "v1.0.0"), opts...)
	require.NoError(t, err)
	require.Equal(t, []string{webFile, VersionsFile}, res.Files)
	require.Equal(t, "green", res.Record.Slot)
	require.Equal(t, "blue", res.Record.Live)
	state = requireOnlyChanged(t, url, state, "web.bumped.yaml")

	res, err = Bump(ctx, url, bumpReq("web", "prod", webRepo+digestA, "v1.0.0"), opts...)
	require.NoError(t, err)
	require.False(t, res.Changed, "the same bump twice makes no second commit")

	// The switch flips the Service selector, gated like a promotion to prod.
	_, err = Switch(ctx, url, SwitchRequest{Service: "web", Env: "prod"}, opts...)
	require.ErrorContains(t, err, "switching web in prod to green needs an approval")
	require.Equal(t, failure.Policy, failure.KindOf(err))
	_, err = Switch(ctx, url, SwitchRequest{Service: "web", Env: "prod", ApprovedBy: "alice@example.com"}, testOpts(t, WithVerifier(&fakeVerifier{}))...)
	require.ErrorContains(t, err, "no signature of "+webRepo+digestA)
	require.Equal(t, failure.Policy, failure.KindOf(err))

	res, err = Switch(ctx, url, SwitchRequest{Service: "web", Env: "prod", ApprovedBy: "alice@example.com", SwitchedBy: "oncall@example.com", RunID: "run-9"}, opts...)
	require.NoError(t, err)
	require.Equal(t, []string{webFile, VersionsFile}, res.Files)
	require.Contains(t, res.Message, "deploy(web): switch prod blue → green\n\nImage: "+webRepo+digestA+"\n\nPaved-Run: run-9\n")
	require.Equal(t, "green", res.Record.Live)
	require.Equal(t, "alice@example.com", res.Record.ApprovedBy)
	require.Equal(t, "oncall@example.com", res.Record.SwitchedBy)
	require.Equal(t, "2026-11-03T13:05:00Z", res.Record.SwitchedAt)
	state = requireOnlyChanged(t, url, state, "web.switched.yaml")

	res, err = Switch(ctx, url, SwitchRequest{Service: "web", Env: "prod", To: "green", ApprovedBy: "alice@example.com"}, opts...)
	require.NoError(t, err)
	require.False(t, res.Changed, "switching to the live slot changes nothing")

	// The next bump goes to blue, now idle; a switch makes it live.
	res, err = Bump(ctx, url, bumpReq("web", "prod", webRepo+digestB, "v1.1.0"), opts...)
	require.NoError(t, err)
	require.Equal(t, "blue", res.Record.Slot)
	_, err = Switch(ctx, url, SwitchRequest{Service: "web", Env: "prod", ApprovedBy: "alice@example.com"}, opts...)
	require.NoError(t, err)
	state = requireOnlyChanged(t, url, state, "web.v110-live.yaml")

	// Green still runs v1.0.0: the rollback flips the selector back, no image changes.
	res, err = Rollback(ctx, url, RollbackRequest{Service: "web", Env: "prod", Reason: "v1.1.0 fails health checks", ApprovedBy: "alice@example.com"}, opts...)
	require.NoError(t, err)
	require.Equal(t, []string{webFile, VersionsFile}, res.Files)
	require.Contains(t, res.Message, "deploy(web): rollback prod v1.1.0 → v1.0.0")
	require.Equal(t, Record{Version: "v1.0.0", Digest: digestA, Slot: "green", Live: "green"},
		Record{Version: res.Record.Version, Digest: res.Record.Digest, Slot: res.Record.Slot, Live: res.Record.Live})
	require.NotNil(t, res.Record.Lock)
	requireOnlyChanged(t, url, state, "web.rolledback.yaml")
}

// TestBlueGreenRollbackPinsWhenNoSlotRunsIt returns to a digest that both
// slots have since replaced: the live slot is pinned in place.
func TestBlueGreenRollbackPinsWhenNoSlotRunsIt(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	opts := testOpts(t)
	for _, d := range []string{digestA, digestB} {
		_, err := Bump(ctx, url, bumpReq("web", "staging", webRepo+d, ""), opts...)
		require.NoError(t, err)
		_, err = Switch(ctx, url, SwitchRequest{Service: "web", Env: "staging"}, opts...)
		require.NoError(t, err)
	}
	_, err := Bump(ctx, url, bumpReq("web", "staging", webRepo+digestC, ""), opts...) // overwrites A in green
	require.NoError(t, err)

	res, err := Rollback(ctx, url, RollbackRequest{Service: "web", Env: "staging", ToDigest: digestA}, opts...)
	require.NoError(t, err)
	require.Equal(t, "blue", res.Record.Slot)
	require.Equal(t, "blue", res.Record.Live)
	files, _ := remoteState(t, url)
	web := files["manifests/web/staging/web.yaml"]
	require.Contains(t, web, "image: \""+webRepo+digestA+"\"\n", "blue, live, pinned to A")
	require.Contains(t, web, "image: "+webRepo+digestC+"  # idle\n", "green keeps C")
	require.Contains(t, web, "version: blue   # live slot")
}

func TestSwitchRefusals(t *testing.T) {
	ctx := context.Background()
	files := gitopsFiles(t)
	record := "      version: v0\n      image: " + webRepo + digestA + "\n      digest: " + digestA + "\n      deployed_at: \"2026-01-01T00:00:00Z\"\n"
	files[VersionsFile] = "services:\n  web:\n    dev:\n" + record + "    staging:\n" + record
	files["manifests/web/staging/web.yaml"] = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    version: purple\n"
	url := newBareRemote(t, files)
	tests := []struct {
		name string
		req  SwitchRequest
		kind failure.Kind
		want string
	}{
		{"not blue-green", SwitchRequest{Service: "worker", Env: "dev"}, failure.BadInput, "worker: it is not blue_green"},
		{"bad slot", SwitchRequest{Service: "web", Env: "dev", To: "red"}, failure.BadInput, "switch to blue or green"},
		{"nothing recorded", SwitchRequest{Service: "web", Env: "prod"}, failure.BadInput, "records nothing for web in prod"},
		{"idle slot runs a tag", SwitchRequest{Service: "web", Env: "dev"}, failure.Policy, "Deployment web-green runs ghcr.io/acme/web:v0.9.0, not an image by digest"},
		{"selector not a slot", SwitchRequest{Service: "web", Env: "staging"}, failure.BadInput, "Service web must select version: blue or version: green"},
		{"unknown environment", SwitchRequest{Service: "web", Env: "qa"}, failure.BadInput, `environment "qa"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Switch(ctx, url, tt.req, testOpts(t)...)
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, tt.kind, failure.KindOf(err), err.Error())
		})
	}
	_, log := remoteState(t, url)
	require.Len(t, log, 1, "nothing is pushed on error")
}

func TestParseConfigBlueGreenNeedsManifests(t *testing.T) {
	_, err := ParseConfig([]byte("environments: [{name: dev}]\nservices:\n  api: {layout: helm, path: x, image: r.example/api, blue_green: true}\n"))
	require.ErrorContains(t, err, "blue_green needs layout: manifests")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
}

// requireOnlyChanged checks that the remote's files differ from before only
// in the blue-green service's file, which must equal the golden file, and in
// versions.yaml, where no other service's records changed. It returns the
// remote's files.
func requireOnlyChanged(t *testing.T, url string, before map[string]string, golden string) map[string]string {
	t.Helper()
	after, _ := remoteState(t, url)
	path := filepath.Join("testdata/golden/bluegreen", golden+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(after[webFile]), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), after[webFile])
	require.Equal(t, len(before)+boolInt(before[VersionsFile] == ""), len(after))
	for name, data := range before {
		if name != webFile && name != VersionsFile {
			require.Equal(t, data, after[name], "%s must stay byte-identical", name)
		}
	}
	var old, cur Versions
	require.NoError(t, yaml.Unmarshal([]byte(before[VersionsFile]), &old))
	require.NoError(t, yaml.Unmarshal([]byte(after[VersionsFile]), &cur))
	for svc := range cur.Services {
		if svc != "web" {
			require.Equal(t, old.Services[svc], cur.Services[svc])
		}
	}
	for env := range cur.Services["web"] {
		if env != "prod" {
			require.Equal(t, old.Services["web"][env], cur.Services["web"][env])
		}
	}
	return after
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
