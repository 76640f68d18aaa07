package deploy

import (
	"context"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/failure"
)

// bumpReq is a bump as CI makes it; into prod (approval: required) it is
// approved.
func bumpReq(svc, env, image, version string) BumpRequest {
	r := BumpRequest{Service: svc, Env: env, Image: mustDigest(image), Version: version, SourceRevision: "0123abc",
		DeployedBy: "ci@example.com", RunID: "run-42", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	if env == "prod" {
		r.ApprovedBy = "release-manager@example.com"
	}
	return r
}

// mustDigest parses image as go-containerregistry does, without paved's own
// checks (oci.ParseDigest): what a library caller may pass to Bump.
func mustDigest(image string) name.Digest {
	d, err := name.NewDigest(image)
	if err != nil {
		panic(err)
	}
	return d
}

func TestBump(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	opts := testOpts(t, WithClock(testClock), WithAuthor("Paved Bot", "bot@example.com"))

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
	res, err := Bump(context.Background(), url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, ""), testOpts(t, WithDryRun(true), WithClock(testClock))...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Empty(t, res.Commit)
	require.Contains(t, res.Diff, "--- a/manifests/worker/dev/all.yaml\n+++ b/manifests/worker/dev/all.yaml\n")
	require.Contains(t, res.Diff, "-        image: ghcr.io/acme/worker:v3.1.0   # the main container\n+        image: ghcr.io/acme/worker@"+digestA+"   # the main container\n")
	require.Contains(t, res.Diff, "+++ b/versions.yaml\n")
	require.Contains(t, res.Message, "deploy(worker): bump dev none → "+digestA[7:19])
	_, log := remoteState(t, url)
	require.Len(t, log, 1)
}

func TestBumpRefusals(t *testing.T) {
	files := gitopsFiles(t)
	files["charts/api/values-dev.yaml"] = "image:\n  tag: [v1\n"
	url := newBareRemote(t, files)
	api := "ghcr.io/acme/api@" + digestA
	with := func(f func(*BumpRequest)) BumpRequest {
		r := bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "")
		f(&r)
		return r
	}
	missing := "ghcr.io/acme/worker@sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name string
		url  string
		req  BumpRequest
		opts []Option
		kind failure.Kind
		want string
	}{
		{"no image", url, BumpRequest{Service: "api", Env: "dev"}, nil, failure.BadInput, "a bump needs an image"},
		{"a digest that is no sha256", url, BumpRequest{Service: "api", Env: "dev", Image: mustDigest(api).Context().Digest("sha256:abc")}, nil, failure.BadInput, `image "ghcr.io/acme/api@sha256:abc": give it by sha256 digest`},
		{"unknown service", url, bumpReq("nope", "dev", api, ""), nil, failure.BadInput, `service "nope" is not in paved-gitops.yaml`},
		{"unknown environment", url, bumpReq("api", "qa", api, ""), nil, failure.BadInput, `environment "qa" is not in paved-gitops.yaml (dev, staging, prod)`},
		{"values file does not parse", url, bumpReq("api", "dev", api, ""), nil, failure.BadInput, "charts/api/values-dev.yaml"},
		{"unlock without reason", url, BumpRequest{Service: "api", Env: "dev", Image: mustDigest(api), Unlock: true}, nil, failure.BadInput, "unlocking needs a reason"},
		{"repository missing", url + "-missing", bumpReq("api", "dev", api, ""), nil, failure.BadInput, "gitops.git-missing"},
		{"repository unreachable", "http://127.0.0.1:1/gitops.git", bumpReq("api", "dev", api, ""), nil, failure.Transient, "127.0.0.1:1"},
		{"another repository", url, bumpReq("worker", "dev", "evil.example.com/x/y@"+digestA, ""), nil, failure.BadInput,
			`image "evil.example.com/x/y@` + digestA + `" is not of worker's repository ghcr.io/acme/worker (paved-gitops.yaml)`},
		{"a path stepping out", url, bumpReq("worker", "dev", "ghcr.io/acme/../acme/worker@"+digestA, ""), nil, failure.BadInput, `is not of worker's repository ghcr.io/acme/worker`},
		{"a digest not in the registry", url, bumpReq("worker", "dev", missing, ""), nil, failure.BadInput, `bumping worker in dev: finding image "` + missing + `": not found in the registry; push it first`},
		{"the registry unreachable", url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, ""), []Option{WithTransport(unreachable{})}, failure.Transient, "the registry ghcr.io cannot be reached"},
		{"a run id forging a trailer", url, with(func(r *BumpRequest) { r.RunID = "run-1\nSigned-off-by: mallory" }), nil, failure.BadInput, `run id "run-1\nSigned-off-by: mallory": give one line`},
		{"a malformed trace id", url, with(func(r *BumpRequest) { r.TraceID = "4bf92f35\nPaved-Trace: x" }), nil, failure.BadInput, "give a W3C trace id"},
		{"an all-zero trace id", url, with(func(r *BumpRequest) { r.TraceID = strings.Repeat("0", 32) }), nil, failure.BadInput, "not all zero"},
		{"a version that is no tag", url, with(func(r *BumpRequest) { r.Version = "v1\n\nSigned-off-by: mallory" }), nil, failure.BadInput, "give an image tag"},
		{"a multi-line reason", url, with(func(r *BumpRequest) { r.Unlock, r.Reason = true, "x\nPaved-Run: forged" }), nil, failure.BadInput, "--reason"},
		{"a multi-line approver", url, with(func(r *BumpRequest) { r.ApprovedBy = "a\rb" }), nil, failure.BadInput, "--approved-by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Bump(context.Background(), tt.url, tt.req, append(testOpts(t), tt.opts...)...)
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

	_, err := Bump(context.Background(), url, req, testOpts(t, WithAuth(&githttp.BasicAuth{Username: "x-access-token", Password: "wrong-token-value"}))...)
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
	require.NotContains(t, err.Error(), "wrong-token-value")

	auth := &githttp.BasicAuth{Username: "x-access-token", Password: token}
	res, err := Bump(context.Background(), url, req, testOpts(t, WithAuth(auth))...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	files, log := remoteState(t, strings.Replace(url, "http://", "http://x:"+token+"@", 1))
	require.Len(t, log, 2)
	require.Contains(t, files["apps/checkout/prod/kustomization.yaml"], "    newTag: v1.0.0\n    digest: "+digestA+"\n")
}

// TestBumpHidesTokenInURL: a token given as the URL's user name, the
// password of a URL and a query token stay out of the error, however go-git
// spells the URL again (an upper-case scheme). No WithSecrets names them:
// the URL's own credentials are found and masked.
func TestBumpHidesTokenInURL(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	url := httpRemote(t, newBareRemote(t, gitopsFiles(t)), token)
	req := bumpReq("checkout", "prod", "registry.acme.internal/mirror/checkout@"+digestA, "v1.0.0")
	for _, u := range []string{
		strings.Replace(url, "http://", "HTTP://ghp_wrong-"+token+"@", 1),
		strings.Replace(url, "http://", "http://x-access-token:wrong-"+token+"@", 1),
		"http://127.0.0.1:1/gitops.git?private_token=wrong-" + token,
	} {
		_, err := Bump(context.Background(), u, req, testOpts(t)...)
		require.Error(t, err)
		require.NotContains(t, err.Error(), token)
		require.Contains(t, []failure.Kind{failure.BadInput, failure.Transient}, failure.KindOf(err), err.Error())
	}
}

// TestBumpSameImageNewPaved: a reproducible build of a commit that changed
// only the CI wrapper bumps the image already deployed. Under the same paved
// version and revision that is no commit; under another paved version the
// record names the new version and revision in place, without a history
// entry, so fleet campaigns see the new version deployed.
func TestBumpSameImageNewPaved(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	opts := testOpts(t, WithClock(testClock))
	req := bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "v1.5.0")
	_, err := Bump(ctx, url, req, opts...)
	require.NoError(t, err)

	old := version.Version
	t.Cleanup(func() { version.Version = old })
	version.Version = "v9.9.9"
	req.SourceRevision, req.RunID = "4567def", "run-43"
	res, err := Bump(ctx, url, req, opts...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, []string{VersionsFile}, res.Files, "the manifests already run the image")
	require.Contains(t, res.Message, "deploy(worker): refresh dev v1.5.0 → v1.5.0")
	require.Equal(t, "v9.9.9", res.Record.PavedVersion)
	require.Equal(t, "4567def", res.Record.SourceRevision)
	require.Equal(t, "run-43", res.Record.RunID)
	require.Empty(t, res.Record.History, "the same image is not an earlier deployment")
	require.Empty(t, res.Record.PreviousDigest)

	res, err = Bump(ctx, url, req, opts...)
	require.NoError(t, err)
	require.False(t, res.Changed, "the same bump again: no commit")
}
