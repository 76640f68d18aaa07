package deploy

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/paved-dev/paved/pipelines/failure"
)

// fakeVerifier passes the digests it was told are signed and scanned, and
// records the gates it was asked to check. The real verifier
// (pipelines/sign) is tested through the CLI (cmd/paved's gate table).
type fakeVerifier struct {
	signed, scanned map[string]bool
	calls           []Gate
}

func (f *fakeVerifier) Verify(_ context.Context, image name.Digest, gate Gate) error {
	f.calls = append(f.calls, gate)
	if gate.SignatureKey != "" && !f.signed[image.DigestStr()] {
		return failure.PolicyErr(fmt.Errorf("no signature of %s verifies with %s", image, gate.SignatureKey))
	}
	if gate.VulnerabilityScan && !f.scanned[image.DigestStr()] {
		return failure.PolicyErr(errors.New("the vulnerability scan attestation failed: 1 critical"))
	}
	return nil
}

func TestPromote(t *testing.T) {
	ctx := context.Background()
	files := gitopsFiles(t)
	url := newBareRemote(t, files)
	_, err := Bump(ctx, url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "v3.2.0"), testOpts(t)...)
	require.NoError(t, err)
	v := &fakeVerifier{signed: map[string]bool{digestA: true}, scanned: map[string]bool{digestA: true}}

	res, err := Promote(ctx, url, PromoteRequest{Service: "worker", From: "dev", To: "staging", RunID: "run-7"}, testOpts(t, WithVerifier(v))...)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Contains(t, res.Message, "deploy(worker): promote from dev to staging none → v3.2.0")
	require.Len(t, v.calls, 1)
	require.Equal(t, "keys/cosign.pub", v.calls[0].SignatureKey)
	require.Equal(t, files["keys/cosign.pub"], string(v.calls[0].SignatureKeyData))
	require.True(t, v.calls[0].VulnerabilityScan)

	remote, log := remoteState(t, url)
	require.Len(t, log, 3)
	var reg Versions
	require.NoError(t, yaml.Unmarshal([]byte(remote[VersionsFile]), &reg))
	require.Equal(t, digestA, reg.Get("worker", "staging").Digest)
	require.Equal(t, "v3.2.0", reg.Get("worker", "staging").Version)

	res, err = Promote(ctx, url, PromoteRequest{Service: "worker", From: "staging", To: "prod", ApprovedBy: "alice@example.com"}, testOpts(t, WithVerifier(v))...)
	require.NoError(t, err)
	require.Equal(t, "alice@example.com", res.Record.ApprovedBy)
}

func TestPromoteRefusals(t *testing.T) {
	ctx := context.Background()
	url := newBareRemote(t, gitopsFiles(t))
	_, err := Bump(ctx, url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "v3.2.0"), testOpts(t)...)
	require.NoError(t, err)
	_, err = Bump(ctx, url, bumpReq("worker", "staging", "ghcr.io/acme/worker@"+digestB, "v3.3.0"), testOpts(t)...)
	require.NoError(t, err)
	trusted := &fakeVerifier{signed: map[string]bool{digestA: true, digestB: true}, scanned: map[string]bool{digestA: true, digestB: true}}

	tests := []struct {
		name string
		req  PromoteRequest
		v    Verifier
		kind failure.Kind
		want string
	}{
		{"unsigned", PromoteRequest{Service: "worker", From: "dev", To: "staging"},
			&fakeVerifier{scanned: map[string]bool{digestA: true}}, failure.Policy, "no signature of ghcr.io/acme/worker@" + digestA + " verifies with keys/cosign.pub"},
		{"failed scan", PromoteRequest{Service: "worker", From: "dev", To: "staging"},
			&fakeVerifier{signed: map[string]bool{digestA: true}}, failure.Policy, "vulnerability scan attestation failed"},
		{"missing approval", PromoteRequest{Service: "worker", From: "staging", To: "prod"}, trusted, failure.Policy, "needs an approval"},
		{"skipping an environment", PromoteRequest{Service: "worker", From: "dev", To: "prod", ApprovedBy: "a"}, trusted, failure.Policy, "promote to staging"},
		{"backwards", PromoteRequest{Service: "worker", From: "staging", To: "dev"}, trusted, failure.Policy, "skips or reverses"},
		{"nothing recorded", PromoteRequest{Service: "api", From: "dev", To: "staging"}, trusted, failure.BadInput, "records nothing for api in dev"},
		{"unknown environment", PromoteRequest{Service: "worker", From: "dev", To: "qa"}, trusted, failure.BadInput, `environment "qa"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Promote(ctx, url, tt.req, testOpts(t, WithVerifier(tt.v))...)
			require.ErrorContains(t, err, tt.want)
			require.Equal(t, tt.kind, failure.KindOf(err), err.Error())
		})
	}
	_, log := remoteState(t, url)
	require.Len(t, log, 3, "a refused promotion pushes nothing")
}

func TestPromoteKeyMissingFromRepository(t *testing.T) {
	ctx := context.Background()
	files := gitopsFiles(t)
	delete(files, "keys/cosign.pub")
	url := newBareRemote(t, files)
	_, err := Bump(ctx, url, bumpReq("worker", "dev", "ghcr.io/acme/worker@"+digestA, "v3.2.0"), testOpts(t)...)
	require.NoError(t, err)
	v := &fakeVerifier{signed: map[string]bool{digestA: true}, scanned: map[string]bool{digestA: true}}
	_, err = Promote(ctx, url, PromoteRequest{Service: "worker", From: "dev", To: "staging"}, testOpts(t, WithVerifier(v))...)
	require.ErrorContains(t, err, "reading signature key keys/cosign.pub of environment staging: no such file")
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Empty(t, v.calls, "no fallback to a key outside the repository")
}
