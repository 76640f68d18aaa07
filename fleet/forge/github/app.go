package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v73/github"

	"github.com/paved-dev/paved/fleet"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
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

// InstallationToken returns an installation token of app (see NewApp).
// A refused JWT or an unknown installation is bad input, a 5xx or 429
// transient.
func InstallationToken(ctx context.Context, app App, opts ...forge.Option) (string, error) {
	what := fmt.Sprintf("creating an installation token of GitHub App %d for installation %d", app.ID, app.InstallationID)
	if app.ID <= 0 || app.InstallationID <= 0 {
		return "", failure.BadInputErr(fmt.Errorf("%s: the App ID and installation ID must be positive numbers", what))
	}
	s := forge.SettingsOf(DefaultBaseURL, opts...)
	signed, err := appJWT(app, s.Now())
	if err != nil {
		return "", err
	}
	c, err := appClient(s, signed)
	if err != nil {
		return "", err
	}
	it, resp, err := c.Apps.CreateInstallationToken(ctx, app.InstallationID, nil)
	if err != nil {
		return "", classifyApp(what, resp, err)
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

// appClient is go-github at s.BaseURL sending the JWT as a bearer token.
func appClient(s forge.Settings, signed string) (*gh.Client, error) {
	base, err := url.Parse(strings.TrimRight(s.BaseURL, "/") + "/")
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, failure.BadInputErr(fmt.Errorf("reading forge API URL %q: want https://host[/path]", s.BaseURL))
	}
	hc := *s.Client
	c := gh.NewClient(&hc).WithAuthToken(signed)
	c.BaseURL, c.UserAgent = base, s.UserAgent
	return c, nil
}

// classifyApp maps go-github's error to paved's classes, redacted.
func classifyApp(what string, resp *gh.Response, err error) error {
	msg := redact.Text(err.Error())
	if resp == nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w", what, err)
		}
		return failure.TransientErr(fmt.Errorf("%s: %s", what, msg))
	}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden && resp.Header.Get("X-RateLimit-Remaining") != "0":
		return failure.BadInputErr(fmt.Errorf("%s: %s: %w: check the App ID, the installation ID and that the private key is the App's", what, msg, fleet.ErrForbidden))
	case code == http.StatusNotFound:
		return failure.BadInputErr(fmt.Errorf("%s: %s: %w: the App is not installed there (the installation ID is in the organisation's Settings → GitHub Apps URL)", what, msg, forge.ErrNotFound))
	case code == http.StatusTooManyRequests || code >= 500 || code == http.StatusForbidden:
		return failure.TransientErr(fmt.Errorf("%s: %s", what, msg))
	}
	return failure.BadInputErr(fmt.Errorf("%s: %s", what, msg))
}
