package admission_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/pipelines/admission"
	"github.com/paved-dev/paved/pipelines/deploy"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/policy"
)

// fixture reads testdata: the GitOps repository and the platform policy.
func fixture(t testing.TB) (*deploy.Config, *policy.Policy, func(string) ([]byte, error)) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "gitops", deploy.ConfigFile))
	require.NoError(t, err)
	cfg, err := deploy.ParseConfig(data)
	require.NoError(t, err)
	p, err := policy.Load(context.Background(), filepath.Join("testdata", "policy.yaml"), nil)
	require.NoError(t, err)
	return cfg, p, repoFiles(filepath.Join("testdata", "gitops"))
}

// repoFiles reads files of the repository at dir.
func repoFiles(dir string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, p)) }
}

func TestDeriveReadsGatesAndPolicy(t *testing.T) {
	cfg, p, keys := fixture(t)
	r, err := admission.Derive(cfg, p, keys)
	require.NoError(t, err)

	require.Len(t, r.Environments, 3)
	dev, staging, prod := r.Environments[0], r.Environments[1], r.Environments[2]
	require.Equal(t, "dev", dev.Name)
	require.Nil(t, dev.Key, "dev has no signature_key: only the digest and repository rules")
	require.False(t, dev.Vulnerability)
	require.Equal(t, []string{"registry.example.com/services/go-api", "registry.example.com/services/python-api"}, dev.Repositories)

	want, err := os.ReadFile("testdata/gitops/keys/staging.pub")
	require.NoError(t, err)
	require.Equal(t, &admission.Key{Ref: "keys/staging.pub", PEM: string(want)}, staging.Key)
	require.True(t, staging.Vulnerability)
	require.Equal(t, 7*24*time.Hour, staging.MaxScanAge)
	require.Equal(t, 36*time.Hour, prod.MaxScanAge)
	require.Equal(t, "keys/prod.pub", prod.Key.Ref)
	require.NotEqual(t, staging.Key.PEM, prod.Key.PEM)
	require.Equal(t, admission.Scope{}, prod.Scope, "no scope given: the format's default")

	require.Equal(t, []string{"registry.example.com/platform/*", "index.docker.io/library/debian"}, r.Bases.Allowed)
	d := r.Bases.Denied
	require.Len(t, d, 4)
	require.Equal(t, policy.Target{Repository: "registry.example.com/platform/python-base", Tag: "1.0"}, d[0].Target)
	require.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), d[0].From)
	require.Equal(t, "registry.example.com/platform/python-base:1.1", d[0].Replacement)
	require.Equal(t, policy.Target{Repository: "registry.example.com/platform/node-base"}, d[1].Target, "repo:* denies every tag")
	require.Equal(t, time.Date(2027, 1, 15, 11, 0, 0, 0, time.UTC), d[1].From)
	require.Equal(t, "sha256:"+strings.Repeat("a", 64), d[2].Digest)
	require.Equal(t, "registry.example.com/platform/static", d[2].Repository)
	require.Equal(t, policy.Target{Digest: "sha256:" + strings.Repeat("b", 64)}, d[3].Target)
	require.True(t, d[3].From.IsZero())
}

func TestDeriveOptions(t *testing.T) {
	cfg, p, keys := fixture(t)
	r, err := admission.Derive(cfg, p, keys, admission.WithEnvironments("prod"),
		admission.WithScope("prod", admission.Scope{Labels: map[string]string{"paved.dev/environment": "prod"}}))
	require.NoError(t, err)
	require.Len(t, r.Environments, 1)
	require.Equal(t, map[string]string{"paved.dev/environment": "prod"}, r.Environments[0].Scope.Labels)

	tests := []struct {
		name string
		opt  admission.Option
		want string
	}{
		{"unknown environment", admission.WithEnvironments("qa"), `environment "qa" is not in paved-gitops.yaml (dev, staging, prod)`},
		{"scope of an unknown environment", admission.WithScope("qa", admission.Scope{Cluster: true}), `environment "qa" is not in paved-gitops.yaml`},
		{"namespace name", admission.WithScope("prod", admission.Scope{Namespaces: []string{"Prod_1"}}), `namespace "Prod_1": give a Kubernetes namespace name`},
		{"label key", admission.WithScope("prod", admission.Scope{Labels: map[string]string{"a b": "x"}}), `label key "a b"`},
		{"label value", admission.WithScope("prod", admission.Scope{Labels: map[string]string{"env": "-x"}}), `label env value "-x"`},
		{"two scopes", admission.WithScope("prod", admission.Scope{Namespaces: []string{"prod"}, Cluster: true}), "one of them"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := admission.Derive(cfg, p, keys, tc.opt)
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDeriveRefusesKeysAClusterCannotUse(t *testing.T) {
	private := "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nc2VjcmV0IGtleSBtYXRlcmlhbA==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
	tests := []struct {
		name, key, file, want string
	}{
		{name: "env var", key: "env://COSIGN_PUBLIC_KEY", want: `signature_key "env://COSIGN_PUBLIC_KEY" cannot be exported`},
		{name: "missing file", key: "keys/none.pub", want: `signature_key "keys/none.pub" is not in the GitOps repository`},
		{name: "private key", key: "keys/x.pub", file: private, want: `signature_key "keys/x.pub" is a private key`},
		{name: "not a key", key: "keys/x.pub", file: "hello\n", want: `signature_key "keys/x.pub" is not a PEM public key`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oneEnvConfig(t, tc.key)
			keys := func(p string) ([]byte, error) {
				if tc.file == "" || p != tc.key {
					return nil, os.ErrNotExist
				}
				return []byte(tc.file), nil
			}
			_, err := admission.Derive(cfg, nil, keys)
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "c2VjcmV0", "key material never appears in an error")
		})
	}

	r, err := admission.Derive(oneEnvConfig(t, "awskms:///arn:aws:kms:eu-west-1:1:key/k"), nil, nil)
	require.NoError(t, err)
	require.Equal(t, &admission.Key{Ref: "awskms:///arn:aws:kms:eu-west-1:1:key/k", KMS: "awskms:///arn:aws:kms:eu-west-1:1:key/k"}, r.Environments[0].Key)
}

func TestDeriveRefusesAServiceWithoutImage(t *testing.T) {
	// paved-gitops.yaml refuses it (deploy needs the image too); a Config
	// made in Go is refused by Derive itself.
	_, err := deploy.ParseConfig([]byte("environments: [{name: dev}]\nservices:\n  web:\n    layout: manifests\n    path: web/{env}\n    blue_green: true\n"))
	require.ErrorContains(t, err, `service "web": image is missing`)
	cfg := &deploy.Config{Environments: []deploy.Environment{{Name: "dev"}},
		Services: map[string]*deploy.Service{"web": {Layout: deploy.LayoutManifests, Path: "web/{env}", BlueGreen: true}}}
	_, err = admission.Derive(cfg, nil, nil)
	require.Error(t, err)
	require.Equal(t, failure.BadInput, failure.KindOf(err))
	require.Contains(t, err.Error(), `service "web" in paved-gitops.yaml has no image: add image: REGISTRY/NAME`)
}

// oneEnvConfig is a one-environment paved-gitops.yaml with key.
func oneEnvConfig(t *testing.T, key string) *deploy.Config {
	t.Helper()
	cfg, err := deploy.ParseConfig([]byte("environments:\n  - name: prod\n    gates: {signature_key: \"" + key + "\", vulnerability_scan: true}\n" +
		"services:\n  api:\n    layout: manifests\n    path: api/{env}\n    image: registry.example.com/services/api\n"))
	require.NoError(t, err)
	return cfg
}
