// Package forge is what the forges (packages github, gitlab and gitea
// below it) share: the registry of forge names (Register, New, Names); an
// API that authenticates with a token the caller passes in, keeps that
// token out of every error, classifies HTTP failures (401/403 as
// fleet.ErrForbidden, 404 as ErrNotFound, 429 and 5xx as transient after a
// bounded retry that honours Retry-After) and serves both as a
// JSON-over-HTTP client (Do, for Gitea) and as the http.RoundTripper under
// go-github and GitLab's client-go (Transport, Fail); and the mapping from a
// repository's clone URL to its path on the forge.
package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// ErrNotFound is wrapped by an API call's error when the forge answers 404:
// the organisation, repository or change does not exist, or the token cannot
// see it.
var ErrNotFound = errors.New("not found on the forge")

// ErrMerged is wrapped by Close's error for a change that is already merged:
// revert it with a new change instead.
var ErrMerged = errors.New("change is already merged")

// Option configures an API client.
type Option func(*API)

// WithBaseURL sets the API's base URL, for GitHub Enterprise Server
// ("https://github.example.com/api/v3") or a self-hosted GitLab
// ("https://gitlab.example.com/api/v4").
func WithBaseURL(u string) Option { return func(a *API) { a.baseURL = u } }

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(a *API) { a.client = c } }

// WithRetry sets how many times a call is tried when the forge answers 429
// or 5xx or cannot be reached (default 4), the first backoff (default 1 s,
// doubling up to the longest wait) and the longest wait, Retry-After
// included (default 1 min): a forge asking for a longer wait fails the call
// as transient at once.
func WithRetry(attempts int, backoff, maxWait time.Duration) Option {
	return func(a *API) { a.attempts, a.backoff, a.maxWait = attempts, backoff, maxWait }
}

// WithSleep replaces the wait between retries; tests pass one that records
// the wait and returns at once. It must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(a *API) { a.sleep = sleep }
}

// WithClock replaces time.Now, against which an HTTP-date Retry-After is
// read.
func WithClock(now func() time.Time) Option { return func(a *API) { a.now = now } }

// WithUserAgent sets the User-Agent header (default "paved").
func WithUserAgent(ua string) Option { return func(a *API) { a.userAgent = ua } }

// RepoPath maps a repository's clone URL to its host and its path on the
// forge, without ".git": "owner/repo" on GitHub, "group/subgroup/project" on
// GitLab. It accepts https://host/path(.git), ssh://[user@]host[:port]/path
// (.git) and git's scp-like user@host:path(.git); a URL with fewer than two
// path segments is bad input.
func RepoPath(cloneURL string) (host, path string, err error) {
	s := strings.TrimSpace(cloneURL)
	switch {
	case strings.Contains(s, "://"):
		u, perr := url.Parse(s)
		if perr != nil {
			return "", "", failure.BadInputErr(fmt.Errorf("reading repository URL %q: %w", redact.URL(cloneURL), perr))
		}
		if u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "ssh" {
			return "", "", failure.BadInputErr(fmt.Errorf("reading repository URL %q: scheme %q is not https or ssh", redact.URL(cloneURL), u.Scheme))
		}
		host, path = u.Hostname(), u.Path
	case scpLike(s):
		at, colon := strings.Index(s, "@"), strings.Index(s, ":")
		host, path = s[at+1:colon], s[colon+1:]
	default:
		return "", "", failure.BadInputErr(fmt.Errorf("reading repository URL %q: want https://host/owner/repo, ssh://git@host/owner/repo or git@host:owner/repo", cloneURL))
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if host == "" || strings.Count(path, "/") < 1 || strings.Contains(path, "//") {
		return "", "", failure.BadInputErr(fmt.Errorf("reading repository URL %q: no owner/repository path in it", redact.URL(cloneURL)))
	}
	return host, path, nil
}

// OwnerName maps a repository's clone URL to the owner and name of a forge
// that has no nested groups (GitHub, Gitea): a path of exactly two
// segments; forgeName says which forge in the error.
func OwnerName(cloneURL, forgeName string) (owner, name string, err error) {
	_, path, err := RepoPath(cloneURL)
	if err != nil {
		return "", "", err
	}
	owner, name, ok := strings.Cut(path, "/")
	if !ok || strings.Contains(name, "/") {
		return "", "", failure.BadInputErr(fmt.Errorf("reading repository URL of %q: want a %s owner/repository path", path, forgeName))
	}
	return owner, name, nil
}

// scpLike reports whether s is git's user@host:path form.
func scpLike(s string) bool {
	at, colon := strings.Index(s, "@"), strings.Index(s, ":")
	return at > 0 && colon > at+1 && !strings.Contains(s[:colon], "/")
}

// NextLink returns the URL of the rel="next" link in an RFC 8288 Link
// header ("" when there is none): how GitHub, and GitLab too, paginate.
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				if k, val, _ := strings.Cut(strings.TrimSpace(p), "="); k == "rel" && strings.Trim(val, `"`) == "next" {
					return strings.Trim(strings.TrimSpace(target), "<>")
				}
			}
		}
	}
	return ""
}

// Each makes call and follows its rel="next" links, decoding every page
// into a T and handing it to fn, which returns how many items the page
// held: an empty page ends the walk too.
func Each[T any](ctx context.Context, api *API, call Call, fn func(T) int) error {
	for {
		var page T
		h, err := api.Do(ctx, call, &page)
		if err != nil {
			return err
		}
		next := NextLink(h)
		if fn(page) == 0 || next == "" {
			return nil
		}
		call = Call{What: call.What, Method: call.Method, URL: next, Scope: call.Scope}
	}
}

// Clock is the clock opts set (WithClock; default time.Now), for a
// caller that signs something time-bound for the forge: a GitHub App's JWT.
func Clock(opts ...Option) func() time.Time {
	return configured("", opts).now
}
