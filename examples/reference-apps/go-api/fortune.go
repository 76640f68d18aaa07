package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// fortuneTimeout bounds the call to python-api.
const fortuneTimeout = 2 * time.Second

// fortuneLangs are the languages python-api's /api/fortune knows; other
// greetings get the English fortune.
var fortuneLangs = map[string]bool{"en": true, "de": true, "fr": true}

// fortunes calls python-api's GET /api/fortune under the caller's trace.
type fortunes struct {
	base    string // python-api's URL, e.g. http://127.0.0.1:8082
	client  *http.Client
	timeout time.Duration
}

// fortune returns python-api's fortune in lang, passing tc's traceparent
// (with go-api's span id) and X-Request-ID on.
func (f *fortunes) fortune(ctx context.Context, tc traceContext, lang string) (string, error) {
	if !fortuneLangs[lang] {
		lang = "en"
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	u := f.base + "/api/fortune?lang=" + url.QueryEscape(lang)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("calling python-api %q: %w", u, err)
	}
	tc.setHeaders(req.Header)
	resp, err := f.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("calling python-api %q: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading python-api's answer from %q: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("python-api %q answered %d: %.200s", u, resp.StatusCode, body)
	}
	var answer struct {
		Fortune string `json:"fortune"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return "", fmt.Errorf("parsing python-api's answer from %q: %w", u, err)
	}
	if answer.Fortune == "" {
		return "", fmt.Errorf("python-api %q answered without a fortune", u)
	}
	return answer.Fortune, nil
}
