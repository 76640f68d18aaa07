package github

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
)

// App is a GitHub App installation that paved acts as: what fleets use
// instead of a person's token.
type App struct {
	// ID is the App's ID, InstallationID its installation on the
	// organisation.
	ID, InstallationID int64
	// PrivateKey is the App's private key (PEM); KeySource names where it
	// was read from, for errors: the key itself never appears in one.
	PrivateKey []byte
	KeySource  string
}

// jwtLifetime is how long the App's JWT is valid: GitHub refuses more than
// 10 minutes; iat is backdated by a minute for clock drift, as GitHub
// advises.
const jwtLifetime = 9 * time.Minute

// NewApp returns the GitHub forge acting as app's installation: it signs a
// JWT with the App's private key (RS256, iss the App's ID) and exchanges it
// through go-github's Apps API (POST
// /app/installations/{id}/access_tokens) for an installation token, valid
// for an hour, which New then uses. opts are New's.
func NewApp(ctx context.Context, app App, opts ...forge.Option) (*Forge, error) {
	tok, err := InstallationToken(ctx, app, opts...)
	if err != nil {
		return nil, err
	}
	return New(tok, opts...)
}

// scopeApp is what GitHub needs to exchange the App's JWT, named in a
// 401/403/404 error.
const scopeApp = "a JWT of the App signed with its private key: check the App ID, that the private key is the App's, and the installation ID (the App must be installed on the organisation)"

// InstallationToken returns an installation token of app (see NewApp).
// A refused JWT or an unknown installation is bad input, a 5xx or 429
// transient after the retries opts allow (forge.WithRetry).
func InstallationToken(ctx context.Context, app App, opts ...forge.Option) (string, error) {
	what := fmt.Sprintf("creating an installation token of GitHub App %d for installation %d", app.ID, app.InstallationID)
	if app.ID <= 0 || app.InstallationID <= 0 {
		return "", failure.BadInputErr(fmt.Errorf("%s: the App ID and installation ID must be positive numbers", what))
	}
	signed, err := appJWT(app, forge.Clock(opts...)())
	if err != nil {
		return "", err
	}
	f, err := New(signed, opts...)
	if err != nil {
		return "", err
	}
	it, _, err := f.gh.Apps.CreateInstallationToken(ctx, app.InstallationID, nil)
	if err != nil {
		return "", f.fail(what, scopeApp, err)
	}
	if it.GetToken() == "" {
		return "", failure.TransientErr(fmt.Errorf("%s: GitHub answered without a token", what))
	}
	return it.GetToken(), nil
}

// appJWT is the App's JWT at now, signed with its private key.
func appJWT(app App, now time.Time) (string, error) {
	key, err := jwt.ParseRSAPrivateKeyFromPEM(app.PrivateKey)
	if err != nil {
		return "", failure.BadInputErr(fmt.Errorf("reading the GitHub App private key from %s: %w: want the App's RSA private key in PEM", app.KeySource, err))
	}
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(app.ID, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLifetime)),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("signing the GitHub App JWT: %w", err)
	}
	return signed, nil
}
