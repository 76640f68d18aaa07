package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	g, err := loadGreetings("greetings.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newServer(g, slog.New(slog.NewTextHandler(io.Discard, nil)), options{}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGreeting(t *testing.T) {
	srv := testServer(t)
	tests := []struct {
		name, query, acceptLanguage string
		wantCode                    int
		wantGreeting, wantLang      string
	}{
		{"default", "", "", 200, "Hello, world!", "en"},
		{"german", "?name=Ada", "de-CH, en;q=0.5", 200, "Hallo, Ada!", "de"},
		{"unsupported falls back to english", "?name=Ada", "ja", 200, "Hello, Ada!", "en"},
		{"malformed header falls back", "?name=Ada", ";;;", 200, "Hello, Ada!", "en"},
		{"too long", "?name=" + strings.Repeat("a", 65), "", 400, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", srv.URL+"/api/greeting"+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.acceptLanguage != "" {
				req.Header.Set("Accept-Language", tc.acceptLanguage)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantCode)
			}
			if tc.wantCode != 200 {
				return
			}
			var body map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body["greeting"] != tc.wantGreeting || body["lang"] != tc.wantLang {
				t.Fatalf("got %v, want %q in %q", body, tc.wantGreeting, tc.wantLang)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	srv := testServer(t)
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestLoadGreetingsRequiresEnglish(t *testing.T) {
	path := t.TempDir() + "/g.json"
	if err := writeFile(path, `{"de": "Hallo, %s!"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := loadGreetings(path); err == nil {
		t.Fatal("want an error for greetings without en")
	}
}
