package deploy

import (
	"context"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func bumpReq(svc, env, image, version string) BumpRequest {
	return BumpRequest{Service: svc, Env: env, Image: image, Version: version, SourceRevision: "0123abc",
		DeployedBy: "ci@example.com", RunID: "run-42", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
}

func TestBump(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	opts := []Option{WithClock(testClock), WithAuthor("Paved Bot", "bot@example.com")}

	res, err := Bump(ctx, url, bumpReq("api", "staging", "ghcr.io/acme/api@"+digestA, "v1.5.0"), opts...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.NotEmpty(t, res.Commit)
	require.Equal(t, []string{"charts/api/values-staging.yaml", VersionsFile}, res.Files)

	files, log := remoteState(t, url)
	require.Len(t, log, 2)
	c := log[0]
	require.Equal(t, res.Commit, c.Hash.String())
	require.Equal(t, "Paved Bot", c.Author.Name)
	require.Equal(t, "bot@example.com", c.Author.Email)
	require.Equal(t, "deploy(api): bump staging none → v1.5.0\n\nImage: ghcr.io/acme/api@"+digestA+
		"\n\nPaved-Run: run-42\nPaved-Trace: 4bf92f3577b34da6a3ce929d0e0e4736\n", c.Message)
	require.Equal(t, []string{"charts/api/values-staging.yaml", VersionsFile}, changedFiles(t, c))
	require.Contains(t, files["charts/api/values-staging.yaml"], "  digest: \""+digestA+"\"\n")
	require.Contains(t, files["charts/api/values-staging.yaml"], "  tag:   'v1.5.0'    # set by paved\n")

	var v Versions
	require.NoError(t, yaml.Unmarshal([]byte(files[VersionsFile]), &v))
	rec := v.Get("api", "staging")
	require.Equal(t, Record{Version: "v1.5.0", Image: "ghcr.io/acme/api@" + digestA, Digest: digestA,
		SourceRevision: "0123abc", PavedVersion: rec.PavedVersion, DeployedAt: "2026-11-03T13:05:00Z",
		DeployedBy: "ci@example.com", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", RunID: "run-42"}, *rec)
	require.NotEmpty(t, rec.PavedVersion)

	// The same bump again: no second commit.
	res, err = Bump(ctx, url, bumpReq("api", "staging", "ghcr.io/acme/api@"+digestA, "v1.5.0"), opts...)
	require.NoError(t, err)
	require.False(t, res.Changed)
	require.Empty(t, res.Commit)
	_, log = remoteState(t, url)
	require.Len(t, log, 2)

	// A new digest: the previous one is recorded and kept in the history.
	res, err = Bump(ctx, url, bumpReq("api", "staging", "ghcr.io/acme/api@"+digestB, "v1.6.0"), opts...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Contains(t, res.Message, "deploy(api): bump staging v1.5.0 → v1.6.0")
	require.Equal(t, digestA, res.Record.PreviousDigest)
	require.Equal(t, []Deployment{{Version: "v1.5.0", Image: "ghcr.io/acme/api@" + digestA, Digest: digestA, DeployedAt: "2026-11-03T13:05:00Z"}}, res.Record.History)
}

func TestBumpDryRun(t *testing.T) {
	url := newBareRemote(t, gitopsFiles(t))
	res, err := Bump(context.Background(), url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, ""), WithDryRun(true), WithClock(testClock))
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Empty(t, res.Commit)
	require.Contains(t, res.Diff, "--- a/manifests/worker/dev/all.yaml\n+++ b/manifests/worker/dev/all.yaml\n")
	require.Contains(t, res.Diff, "-        image: ghcr.io/acme/worker:v3.1.0   # the main container\n+        image: ghcr.io/acme/worker@"+digestA+"   # the main container\n")
	require.Contains(t, res.Diff, "+++ b/versions.yaml\n")
	require.Contains(t, res.Message, "deploy(worker): bump dev none → aaaaaaaaaaaa")
	_, log := remoteState(t, url)
	require.Len(t, log, 1)
}

func TestBumpRefusals(t *testing.T) {
	files := gitopsFiles(t)
	files["charts/api/values-prod.yaml"] = "image:\n  tag: [v1\n"
	url := newBareRemote(t, files)
	tests := []struct {
		name string
		url  string
		req  BumpRequest
		kind failure.Kind
		want string
	}{
		{"image by tag", url, bumpReq("api", "dev", "ghcr.io/acme/api:v1", ""), failure.BadInput, "is a tag"},
		{"unknown service", url, bumpReq("nope", "dev", "ghcr.io/acme/api@"+digestA, ""), failure.BadInput, `service "nope" is not in paved-gitops.yaml`},
		{"unknown environment", url, bumpReq("api", "qa", "ghcr.io/acme/api@"+digestA, ""), failure.BadInput, `environment "qa" is not in paved-gitops.yaml (dev, staging, prod)`},
		{"values file does not parse", url, bumpReq("api", "prod", "ghcr.io/acme/api@"+digestA, ""), failure.BadInput, "charts/api/values-prod.yaml"},
		{"unlock without reason", url, BumpRequest{Service: "api", Env: "dev", Image: "ghcr.io/acme/api@" + digestA, Unlock: true}, failure.BadInput, "--unlock needs --reason"},
		{"repository missing", url + "-missing", bumpReq("api", "dev", "ghcr.io/acme/api@"+digestA, ""), failure.BadInput, "gitops.git-missing"},
		{"repository unreachable", "http://127.0.0.1:1/gitops.git", bumpReq("api", "dev", "ghcr.io/acme/api@"+digestA, ""), failure.Transient, "127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Bump(context.Background(), tt.url, tt.req)
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, tt.kind, failure.KindOf(err), err.Error())
		})
	}
	_, log := remoteState(t, url)
	require.Len(t, log, 1, "nothing is pushed on error")
}

func TestBumpOverSmartHTTP(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	url := httpRemote(t, newBareRemote(t, gitopsFiles(t)), token)
	req := bumpReq("checkout", "prod", "registry.acme.internal/mirror/checkout@"+digestA, "v1.0.0")

	_, err := Bump(context.Background(), url, req, WithAuth(&githttp.BasicAuth{Username: "x-access-token", Password: "wrong-token-value"}))
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
	require.NotContains(t, err.Error(), "wrong-token-value")

	auth := &githttp.BasicAuth{Username: "x-access-token", Password: token}
	res, err := Bump(context.Background(), url, req, WithAuth(auth))
	require.NoError(t, err)
	require.True(t, res.Changed)
	files, log := remoteState(t, strings.Replace(url, "http://", "http://x:"+token+"@", 1))
	require.Len(t, log, 2)
	require.Contains(t, files["apps/checkout/prod/kustomization.yaml"], "    newTag: v1.0.0\n    digest: "+digestA+"\n")
}
