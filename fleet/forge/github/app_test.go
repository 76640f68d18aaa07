package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/github"
	"github.com/paved-dev/paved/pipelines/failure"
)

// appKey returns a fresh App private key and its PEM.
func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// TestNewApp: the forge signs a JWT with the App's key, exchanges it for
// the installation's token through the Apps API, and then calls GitHub
// with that token.
func TestNewApp(t *testing.T) {
	const installationToken = "ghs_installationtoken0123456789"
	key, keyPEM := appKey(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := newFakeGitHub(t, installationToken)
	f.app = &fakeApp{id: 424242, installation: 77, key: &key.PublicKey, now: now}
	f.orgs["acme"] = []string{"api"}

	g, err := github.NewApp(context.Background(), github.App{ID: 424242, InstallationID: 77, PrivateKey: keyPEM, KeySource: "app.pem"},
		forge.WithBaseURL(f.srv.URL), forge.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	got, err := g.Repositories(context.Background(), "acme")
	require.NoError(t, err)
	require.Equal(t, []fleet.Service{{Repository: "https://github.com/acme/api.git", Name: "api"}}, got)
	require.Equal(t, "POST /app/installations/77/access_tokens", f.calls[0])

	require.Len(t, f.app.jwts, 1)
	claims := jwt.RegisteredClaims{}
	_, err = jwt.ParseWithClaims(f.app.jwts[0], &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	require.NoError(t, err, "signed with the App's key")
	require.Equal(t, strconv.Itoa(424242), claims.Issuer)
	require.Equal(t, now.Add(9*time.Minute), claims.ExpiresAt.UTC(), "under GitHub's 10-minute limit")
	require.Equal(t, now.Add(-time.Minute), claims.IssuedAt.UTC(), "backdated for clock drift")
}

// TestNewAppBadInput: a wrong key, an unknown installation and a key that
// is not PEM are bad input naming what to check, and never show the key.
func TestNewAppBadInput(t *testing.T) {
	key, keyPEM := appKey(t)
	_, otherPEM := appKey(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := newFakeGitHub(t, "ghs_unused")
	f.app = &fakeApp{id: 1, installation: 2, key: &key.PublicKey, now: now}
	opts := []forge.Option{forge.WithBaseURL(f.srv.URL), forge.WithClock(func() time.Time { return now })}
	tests := []struct {
		name string
		app  github.App
		is   error
		want string
	}{
		{"another key", github.App{ID: 1, InstallationID: 2, PrivateKey: otherPEM}, fleet.ErrForbidden, "that the private key is the App's"},
		{"another App", github.App{ID: 9, InstallationID: 2, PrivateKey: keyPEM}, fleet.ErrForbidden, "check the App ID"},
		{"no such installation", github.App{ID: 1, InstallationID: 3, PrivateKey: keyPEM}, forge.ErrNotFound, "the installation ID"},
		{"not PEM", github.App{ID: 1, InstallationID: 2, PrivateKey: []byte("MIIEnotpem-secret-key-material"), KeySource: "PAVED_GITHUB_APP_PRIVATE_KEY"}, nil, "reading the GitHub App private key from PAVED_GITHUB_APP_PRIVATE_KEY"},
		{"no IDs", github.App{PrivateKey: keyPEM}, nil, "must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := github.NewApp(context.Background(), tc.app, opts...)
			require.Error(t, err)
			require.Equal(t, failure.BadInput, failure.KindOf(err), err.Error())
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "secret-key-material")
			require.NotContains(t, err.Error(), string(tc.app.PrivateKey))
			require.NotContains(t, err.Error(), "PRIVATE KEY")
		})
	}
}

// TestNewAppTransient: GitHub failing the exchange is transient (exit 4):
// the wrapper's retry may pass.
func TestNewAppTransient(t *testing.T) {
	key, keyPEM := appKey(t)
	f := newFakeGitHub(t, "ghs_unused")
	f.app = &fakeApp{id: 1, installation: 2, key: &key.PublicKey, now: time.Now(), unavailable: true}
	_, err := github.NewApp(context.Background(), github.App{ID: 1, InstallationID: 2, PrivateKey: keyPEM}, forge.WithBaseURL(f.srv.URL),
		forge.WithRetry(2, time.Millisecond, time.Second), forge.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	require.Equal(t, failure.Transient, failure.KindOf(err), err)
	require.Contains(t, err.Error(), "503")
	require.Contains(t, err.Error(), "tried 2 times")
	require.Len(t, f.app.jwts, 2, "retried through paved's transport")
}
