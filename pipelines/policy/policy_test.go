package policy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func base(t *testing.T, ref string) policy.Base {
	t.Helper()
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	return policy.Base{Ref: r, Digest: r.Context().Digest(digestA)}
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	p := &policy.Policy{APIVersion: policy.APIVersion, Bases: policy.Bases{
		Allowed: []string{"registry.example/platform/*", "index.docker.io/library/debian"},
		Denied: []policy.Denial{
			{Image: "registry.example/platform/python-base:1.0", Reason: "CVE-2026-1 in openssl", Replacement: "registry.example/platform/python-base:1.1"},
			{Image: "registry.example/platform/node-base:*", Reason: "node 18 is end of life", From: "2027-01-01"},
			{Image: digestA, Reason: "known-bad build"},
		},
	}}
	tests := []struct {
		name     string
		ref      string
		policy   *policy.Policy
		wantErr  []string
		wantWarn string
	}{
		{name: "allowed glob", ref: "registry.example/platform/static:1", policy: &policy.Policy{Bases: policy.Bases{Allowed: p.Bases.Allowed}}},
		{name: "allowed nested path", ref: "registry.example/platform/team/base:1", policy: &policy.Policy{Bases: policy.Bases{Allowed: p.Bases.Allowed}}},
		{name: "docker hub short name", ref: "debian:12", policy: &policy.Policy{Bases: policy.Bases{Allowed: p.Bases.Allowed}}},
		{name: "not allowed", ref: "quay.io/someone/base:1", policy: p, wantErr: []string{"not from an allowed repository", "quay.io/someone/base:1"}},
		{name: "denied tag with replacement", ref: "registry.example/platform/python-base:1.0", policy: p, wantErr: []string{"denied", "CVE-2026-1 in openssl", "use registry.example/platform/python-base:1.1 instead"}},
		{name: "other tag of a denied one", ref: "registry.example/platform/python-base:1.1", policy: &policy.Policy{Bases: policy.Bases{Denied: p.Bases.Denied[:1]}}},
		{name: "denied digest", ref: "registry.example/platform/static:1", policy: p, wantErr: []string{"known-bad build"}},
		{name: "dated denial warns before its date", ref: "registry.example/platform/node-base:18", policy: &policy.Policy{Bases: policy.Bases{Denied: p.Bases.Denied[1:2]}}, wantWarn: "denied from 2027-01-01"},
		{name: "require digest refuses a tag", ref: "registry.example/platform/static:1", policy: &policy.Policy{Bases: policy.Bases{RequireDigest: true}}, wantErr: []string{"not pinned by digest", "@" + digestA}},
		{name: "require digest accepts a digest", ref: "registry.example/platform/static@" + digestA, policy: &policy.Policy{Bases: policy.Bases{RequireDigest: true}}},
		{name: "nil policy allows all", ref: "quay.io/x/y:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.policy.Check(base(t, tc.ref), now)
			if len(tc.wantErr) > 0 {
				require.Error(t, err)
				require.Equal(t, failure.Policy, failure.KindOf(err))
				for _, m := range tc.wantErr {
					require.Contains(t, err.Error(), m)
				}
				return
			}
			require.NoError(t, err)
			if tc.wantWarn != "" {
				require.Len(t, d.Warnings, 1)
				require.Contains(t, d.Warnings[0], tc.wantWarn)
			} else {
				require.Empty(t, d.Warnings)
			}
		})
	}
}

func TestDatedDenialAppliesAfterItsDate(t *testing.T) {
	p := &policy.Policy{Bases: policy.Bases{Denied: []policy.Denial{{Image: "registry.example/platform/node-base:18", Reason: "eol", From: "2027-01-01"}}}}
	_, err := p.Check(base(t, "registry.example/platform/node-base:18"), time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC))
	require.Equal(t, failure.Policy, failure.KindOf(err))
}

func TestDenialTarget(t *testing.T) {
	tests := []struct {
		image string
		want  policy.Target
	}{
		{"registry.example/platform/python-base:1.0", policy.Target{Repository: "registry.example/platform/python-base", Tag: "1.0"}},
		{"registry.example/platform/node-base:*", policy.Target{Repository: "registry.example/platform/node-base"}},
		{"registry.example/platform/node-base", policy.Target{Repository: "registry.example/platform/node-base"}},
		{"registry.example:5000/platform/static@" + digestA, policy.Target{Repository: "registry.example:5000/platform/static", Digest: digestA}},
		{digestA, policy.Target{Digest: digestA}},
		{"debian:12", policy.Target{Repository: "index.docker.io/library/debian", Tag: "12"}},
	}
	for _, tc := range tests {
		t.Run(tc.image, func(t *testing.T) {
			got, err := policy.Denial{Image: tc.image}.Target()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	since, err := policy.Denial{From: "2026-12-01"}.Since()
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), since)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
	}{
		{"valid", "apiVersion: paved.dev/v1\nkind: PlatformPolicy\nbases:\n  allowed: [\"r/*\"]\n  denied:\n  - image: r/a:1\n    reason: bad\n    from: 2026-01-01\n    replacement: r/a:2\n", ""},
		{"unknown key", "apiVersion: paved.dev/v1\nbases:\n  alowed: []\n", "field alowed not found"},
		{"wrong api version", "apiVersion: v2\n", "set it to \"paved.dev/v1\""},
		{"missing reason", "apiVersion: paved.dev/v1\nbases:\n  denied:\n  - image: r/a:1\n", "reason is required"},
		{"bad date", "apiVersion: paved.dev/v1\nbases:\n  denied:\n  - image: r/a:1\n    reason: x\n    from: next week\n", "not a date"},
		{"bad replacement", "apiVersion: paved.dev/v1\nbases:\n  denied:\n  - image: r/a:1\n    reason: x\n    replacement: 'UPPER CASE'\n", "not an image reference"},
		{"denied image that names nothing", "apiVersion: paved.dev/v1\nbases:\n  denied:\n  - image: 'r/UPPER:1'\n    reason: x\n", `image "r/UPPER:1" is not a repository, tag or digest`},
		{"empty", "", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(tc.doc))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestLoad(t *testing.T) {
	doc := "apiVersion: paved.dev/v1\nkind: PlatformPolicy\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/policy.yaml":
			w.Write([]byte(doc))
		case "/down":
			http.Error(w, "down", http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(file, []byte(doc), 0o644))

	tests := []struct {
		name, src string
		wantKind  failure.Kind
	}{
		{"file", file, failure.OK},
		{"url", srv.URL + "/policy.yaml", failure.OK},
		{"missing file", file + ".missing", failure.BadInput},
		{"url not found", srv.URL + "/nope", failure.BadInput},
		{"server down", srv.URL + "/down", failure.Transient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.Load(context.Background(), tc.src, srv.Client())
			require.Equal(t, tc.wantKind, failure.KindOf(err), "%v", err)
			if err != nil {
				require.Contains(t, err.Error(), tc.src)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: paved.dev/v1\nbases:\n  denied:\n  - image: r/a:1\n    reason: x\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse(data)
		if err == nil && p.APIVersion != policy.APIVersion {
			t.Fatalf("accepted apiVersion %q", p.APIVersion)
		}
	})
}
