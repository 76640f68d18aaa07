// Package redact hides the credentials that URLs carry before paved prints,
// records or commits them: the user information of a URL and the values of
// query parameters that hold tokens.
//
// It is the one policy for every URL paved shows: registries, policy URLs,
// GitOps and service remotes, forge API calls. It imports only the standard
// library, so any package can use it.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a secret in a redacted URL.
const Mask = "***"

// URL returns raw with its credentials replaced by Mask:
//
//   - the whole user information of a URL with a password
//     (https://user:password@host, https://x-access-token:TOKEN@host);
//   - any user of a URL that is not ssh, as a token is often passed as the
//     user name (https://ghp_TOKEN@github.com/o/r.git);
//   - the values of query parameters named like a secret (token,
//     access_token, private_token, X-Amz-Signature, sig, password, key, ...).
//
// An ssh user without password (ssh://git@host/o/r.git) is no secret and
// stays, and so does git's scp-like form (git@host:o/r.git). Text that is
// no URL is returned as it is.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return textURL(raw)
	}
	out := raw
	if secretUser(u) {
		u.User = nil
		// url.User would escape the mask's stars.
		out = strings.Replace(u.String(), "://", "://"+Mask+"@", 1)
	}
	if u.RawQuery != "" {
		if q := query(u.RawQuery); q != u.RawQuery {
			out = strings.Replace(out, "?"+u.RawQuery, "?"+q, 1)
		}
	}
	return out
}

// Strip returns raw without its credentials: no user information at all,
// and the secret query values masked. It is for URLs that become metadata
// (an image's org.opencontainers.image.source, a provenance's source), where
// a mask would only be noise.
func Strip(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return URL(raw)
	}
	u.User = nil
	u.RawQuery = query(u.RawQuery)
	return u.String()
}

// HasCredentials reports whether URL carries a secret that URL would mask.
func HasCredentials(raw string) bool { return URL(raw) != raw }

// urlInText finds URLs in free text, such as an error message: a scheme,
// "://", then anything up to white space or a quote.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`)

// Text returns s with every URL in it redacted by URL: the last line of
// defence for messages that quote URLs they were given (Go's HTTP client,
// git transports).
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, URL)
}

// secretUser reports whether u's user information may hold a secret.
func secretUser(u *url.URL) bool {
	if u.User == nil {
		return false
	}
	if _, ok := u.User.Password(); ok {
		return true
	}
	return !strings.HasPrefix(u.Scheme, "ssh") && !strings.HasSuffix(u.Scheme, "+ssh") && u.Scheme != "git"
}

// userInfo matches the user information of a URL that did not parse (a
// password with a character URLs do not allow, a URL cut inside a message).
var userInfo = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s]*)@`)

// textURL redacts what looks like a URL without parsing it.
func textURL(raw string) string {
	m := userInfo.FindStringSubmatch(raw)
	if m == nil {
		return raw
	}
	scheme := strings.TrimSuffix(m[1], "://")
	if !strings.Contains(m[2], ":") && (strings.HasPrefix(scheme, "ssh") || scheme == "git") {
		return raw
	}
	return m[1] + Mask + "@" + raw[len(m[0]):]
}

// query masks the values of secret parameters in a raw query, keeping the
// rest byte for byte.
func query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if ok && secretParam(k) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// secretWords are the parts of query parameter names that carry secrets:
// token, access_token, private_token, X-Amz-Signature, X-Goog-Credential,
// sig (Azure SAS), password, api_key, client_secret, auth.
var secretWords = []string{"token", "secret", "password", "passwd", "signature", "credential", "key", "auth", "session"}

func secretParam(k string) bool {
	if un, err := url.QueryUnescape(k); err == nil {
		k = un
	}
	k = strings.ToLower(k)
	if k == "sig" || k == "pwd" || k == "code" {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// URLSecrets returns the secrets raw carries, as URL masks them: the user
// information's password, or, without one (or with GitHub's x-oauth-basic
// placeholder), the user name of a URL that is not ssh (a token given as
// the user name), and the values of secret query parameters.
// They are for Secrets, to hide them where they appear outside the URL
// (an error that quotes the URL re-assembled, or the token alone).
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return nil
	}
	var out []string
	if secretUser(u) {
		p, ok := u.User.Password()
		if ok && !plainUser[p] {
			out = append(out, p)
		} else if name := u.User.Username(); !plainUser[name] {
			out = append(out, name)
		}
	}
	for _, p := range strings.Split(u.RawQuery, "&") {
		k, v, ok := strings.Cut(p, "=")
		if ok && v != "" && secretParam(k) {
			out = append(out, v)
			if un, err := url.QueryUnescape(v); err == nil && un != v {
				out = append(out, un)
			}
		}
	}
	return out
}

// plainUser are user names (and placeholder passwords) that are no token.
var plainUser = map[string]bool{"git": true, "x-access-token": true, "oauth2": true, "x-oauth-basic": true, "gitlab-ci-token": true, "token": true}

// Secrets returns s with every secret of at least four characters replaced
// by Mask, then every URL in it redacted (see Text): for messages that may
// quote a token on its own (a forge's answer, a git transport's error).
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return Text(s)
}

// Error returns err with the URLs of its message redacted (see Text); the
// chain stays, so errors.Is, errors.As and paved's failure kinds still see
// the original. A nil err stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := Text(msg); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
