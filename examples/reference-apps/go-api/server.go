package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// greetings maps a BCP 47 language tag to a greeting format ("Hello, %s!").
type greetings map[string]string

func loadGreetings(path string) (greetings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading greetings %q: %w", path, err)
	}
	var g greetings
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("parsing greetings %q: %w", path, err)
	}
	if _, ok := g["en"]; !ok {
		return nil, fmt.Errorf("greetings %q: an \"en\" entry is required", path)
	}
	return g, nil
}

type server struct {
	greetings greetings
	matcher   language.Matcher
	tags      []string
	log       *slog.Logger
	fortunes  *fortunes // nil: no call to python-api
}

// options are go-api's settings besides its greetings.
type options struct {
	// pythonAPI is python-api's URL; empty means greetings come without a fortune.
	pythonAPI string
	// client calls python-api; nil means http.DefaultClient.
	client *http.Client
	// timeout bounds the call to python-api; 0 means fortuneTimeout (2 s).
	timeout time.Duration
}

func newServer(g greetings, log *slog.Logger, opts options) http.Handler {
	s := &server{greetings: g, log: log, tags: []string{"en"}}
	if opts.pythonAPI != "" {
		client := opts.client
		if client == nil {
			client = http.DefaultClient
		}
		timeout := opts.timeout
		if timeout == 0 {
			timeout = fortuneTimeout
		}
		s.fortunes = &fortunes{base: strings.TrimSuffix(opts.pythonAPI, "/"), client: client, timeout: timeout}
	}
	supported := []language.Tag{language.English}
	for tag := range g {
		if tag == "en" {
			continue
		}
		supported = append(supported, language.Make(tag))
		s.tags = append(s.tags, tag)
	}
	s.matcher = language.NewMatcher(supported)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /api/greeting", s.greeting)
	return withTrace(mux, log)
}

func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": version})
}

func (s *server) greeting(w http.ResponseWriter, r *http.Request) {
	who := r.URL.Query().Get("name")
	if who == "" {
		who = "world"
	}
	if len(who) > 64 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name is longer than 64 characters"})
		return
	}
	prefs, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil {
		prefs = nil
	}
	_, idx, _ := s.matcher.Match(prefs...)
	tag := s.tags[idx]
	tc, log := requestFrom(r.Context(), s.log)
	answer := map[string]string{"greeting": fmt.Sprintf(s.greetings[tag], who), "lang": tag}
	if s.fortunes != nil {
		fortune, err := s.fortunes.fortune(r.Context(), tc, tag)
		if err != nil {
			log.Error("python-api failed", "error", err.Error())
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
			return
		}
		answer["fortune"] = fortune
	}
	log.Info("greeting", "lang", tag)
	writeJSON(w, http.StatusOK, answer)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
