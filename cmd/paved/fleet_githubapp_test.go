package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/fleettest"
)

// TestFleetInventoryGitHubApp: with --github-app-id, --github-app-installation-id
// and the App's private key (from a file or PAVED_GITHUB_APP_PRIVATE_KEY),
// paved exchanges a JWT signed with the key for an installation token and
// discovers with it; the key appears in no output or error.
func TestFleetInventoryGitHubApp(t *testing.T) {
	const installationToken = "ghs_installation-token-never-printed"
	key, keyPEM := rsaPEM(t)
	dir := t.TempDir()
	repo := fleettest.NewRepo(t, dir, "discovered", map[string]string{
		".github/workflows/paved.yml": "    uses: paved-dev/paved/.github/workflows/build-scan-deploy.yml@v0.2.0\n",
	})
	fleettest.NewRepo(t, dir, "gitops", map[string]string{"README.md": "nothing deployed yet\n"})
	var mu sync.Mutex
	var jwts []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case r.Method == "POST" && r.URL.Path == "/app/installations/77/access_tokens":
			mu.Lock()
			jwts = append(jwts, auth)
			mu.Unlock()
			claims := jwt.RegisteredClaims{}
			if _, err := jwt.ParseWithClaims(auth, &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, jwt.WithValidMethods([]string{"RS256"})); err != nil || claims.Issuer != "4242" {
				http.Error(w, `{"message":"A JSON web token could not be decoded"}`, http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"token":%q,"expires_at":"2099-01-01T00:00:00Z"}`, installationToken)
		case r.URL.Path == "/orgs/acme/repos" && auth == installationToken:
			fmt.Fprintf(w, `[{"name":"discovered","full_name":"acme/discovered","clone_url":%q}]`, repo.Dir)
		default:
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		}
	}))
	defer api.Close()
	file := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(file, []byte("apiVersion: paved.dev/v1\nkind: Fleet\ngitops:\n  repository: gitops.git\ndiscover:\n  - forge: github\n    organisation: acme\n"), 0o644))
	keyFile := filepath.Join(dir, "app.pem")
	require.NoError(t, os.WriteFile(keyFile, []byte(keyPEM), 0o600))
	args := []string{"fleet", "inventory", "--fleet", file, "--cache-dir", t.TempDir(), "--no-registry", "--github-app-id", "4242", "--github-app-installation-id", "77"}
	t.Setenv(envGitHubAPIURL, api.URL)
	t.Setenv(envGitHubToken, "")

	code, out, errOut := runPaved(t, append(args, "--github-app-private-key-file", keyFile)...)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `discovered\s+-\s+-\s+v0.2.0`, out)
	require.Len(t, jwts, 1)

	t.Setenv(envGitHubAppKey, keyPEM)
	code, out, errOut = runPaved(t, args...)
	require.Equal(t, 0, code, "the key from the environment: %s", errOut)
	require.NotContains(t, out+errOut, "PRIVATE KEY")

	_, otherPEM := rsaPEM(t)
	t.Setenv(envGitHubAppKey, otherPEM)
	code, out, errOut = runPaved(t, args...)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "that the private key is the App's")
	t.Setenv(envGitHubAppKey, "not a PEM key: secret-key-material")
	code, out2, errOut2 := runPaved(t, args...)
	require.Equal(t, 2, code, errOut2)
	require.Contains(t, errOut2, "reading the GitHub App private key from "+envGitHubAppKey)
	for _, s := range []string{out, errOut, out2, errOut2} {
		require.NotContains(t, s, "PRIVATE KEY")
		require.NotContains(t, s, "secret-key-material")
		require.NotContains(t, s, "never-printed")
	}
	require.Equal(t, 1, strings.Count(errOut, "\n"), "one line")
	require.Equal(t, 1, strings.Count(errOut2, "\n"), "one line")

	code, _, errOut = runPaved(t, "fleet", "inventory", "--fleet", file, "--github-app-id", "4242")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--github-app-id and --github-app-installation-id go together")
	t.Setenv(envGitHubToken, "ghp_also-set")
	code, _, errOut = runPaved(t, args...)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "use one way to authenticate to GitHub")
}

func rsaPEM(t *testing.T) (*rsa.PrivateKey, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}
