package github_test

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// fakeGitHub implements the slice of GitHub's REST API the forge calls,
// answering with objects shaped like testdata's recorded ones. A hosted API
// cannot run here; this is the one thing the tests fake.
type fakeGitHub struct {
	t        *testing.T
	srv      *httptest.Server
	token    string
	pageSize int

	mu       sync.Mutex
	orgs     map[string][]string // organisation (or user) → repository names
	archived map[string]bool
	users    map[string]bool
	pulls    map[string][]map[string]any // owner/repo → pull requests
	comments map[string][]string         // owner/repo#n → comments
	labels   map[string][]string         // owner/repo#n → labels
	runs     map[string][]map[string]any // owner/repo@sha → check runs
	statuses map[string][]map[string]any // owner/repo@sha → latest status per context
	calls    []string                    // "METHOD path?query"
	app      *fakeApp                    // the GitHub App, when one is installed
}

// fakeApp is a GitHub App installed on the fake: its token exchange checks
// the JWT's RS256 signature against the App's public key and records it.
type fakeApp struct {
	id, installation int64
	key              *rsa.PublicKey
	now              time.Time // GitHub's clock, against which exp is read
	unavailable      bool      // answer 503, as GitHub does in an outage
	jwts             []string
}

func newFakeGitHub(t *testing.T, token string) *fakeGitHub {
	f := &fakeGitHub{t: t, token: token, pageSize: 2, orgs: map[string][]string{}, archived: map[string]bool{}, users: map[string]bool{},
		pulls: map[string][]map[string]any{}, comments: map[string][]string{}, labels: map[string][]string{},
		runs: map[string][]map[string]any{}, statuses: map[string][]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.RequestURI())
	if r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/app/installations/") && f.app != nil {
		f.accessToken(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	require.Equal(f.t, "application/vnd.github+json", r.Header.Get("Accept"))
	require.Equal(f.t, "2022-11-28", r.Header.Get("X-GitHub-Api-Version"))
	p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "GET" && len(p) == 3 && p[2] == "repos" && (p[0] == "orgs" || p[0] == "organizations" || p[0] == "users"):
		f.repos(w, r, p[0], p[1])
	case r.Method == "GET" && len(p) == 6 && p[0] == "repos" && p[3] == "commits" && p[5] == "check-runs":
		f.checkRuns(w, r, p[1]+"/"+p[2]+"@"+p[4])
	case r.Method == "GET" && len(p) == 6 && p[0] == "repos" && p[3] == "commits" && p[5] == "status":
		all := f.statuses[p[1]+"/"+p[2]+"@"+p[4]]
		writeJSON(w, http.StatusOK, map[string]any{"state": "success", "statuses": all, "sha": p[4], "total_count": len(all)})
	case len(p) == 4 && p[0] == "repos" && p[3] == "pulls":
		f.pullList(w, r, p[1]+"/"+p[2])
	case len(p) == 5 && p[0] == "repos" && p[3] == "pulls":
		f.pull(w, r, p[1]+"/"+p[2], p[4])
	case r.Method == "POST" && len(p) == 6 && p[0] == "repos" && p[3] == "issues":
		var body any
		require.NoError(f.t, json.NewDecoder(r.Body).Decode(&body))
		key := p[1] + "/" + p[2] + "#" + p[4]
		switch p[5] {
		case "comments":
			f.comments[key] = append(f.comments[key], body.(map[string]any)["body"].(string))
		case "labels":
			// GitHub documents both {"labels": [...]} and a bare array,
			// which go-github sends.
			labels, ok := body.([]any)
			if !ok {
				labels = body.(map[string]any)["labels"].([]any)
			}
			out := []map[string]any{}
			for _, l := range labels {
				f.labels[key] = append(f.labels[key], l.(string))
				out = append(out, map[string]any{"id": len(f.labels[key]), "name": l, "color": "ededed"})
			}
			writeJSON(w, http.StatusOK, out) // the labels, as GitHub answers
			return
		}
		writeJSON(w, http.StatusCreated, map[string]any{"id": 1})
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

// accessToken is POST /app/installations/{id}/access_tokens: a JWT signed
// with the App's key (iss its ID, expiring in at most 10 minutes) gets the
// installation's token, as GitHub documents.
func (f *fakeGitHub) accessToken(w http.ResponseWriter, r *http.Request) {
	signed := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.app.jwts = append(f.app.jwts, signed)
	if f.app.unavailable {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
		return
	}
	claims := jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(signed, &claims, func(*jwt.Token) (any, error) { return f.app.key, nil }, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return f.app.now }))
	if err != nil || claims.Issuer != strconv.FormatInt(f.app.id, 10) || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	if r.URL.Path != fmt.Sprintf("/app/installations/%d/access_tokens", f.app.installation) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": f.token, "expires_at": "2026-11-22T11:00:00Z", "permissions": map[string]string{"pull_requests": "write", "metadata": "read"}, "repository_selection": "all"})
}

// repos serves an organisation's (or user's) repositories a page at a time,
// with GitHub's Link header; next pages use /organizations/{id}/repos as
// GitHub's own links do.
func (f *fakeGitHub) repos(w http.ResponseWriter, r *http.Request, kind, org string) {
	names, ok := f.orgs[org]
	if !ok || (kind == "users") != f.users[org] {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from, to := min((page-1)*f.pageSize, len(names)), min(page*f.pageSize, len(names))
	var out []map[string]any
	for _, n := range names[from:to] {
		repo := recorded(f.t, "repository.json")
		repo["name"], repo["full_name"] = n, org+"/"+n
		repo["clone_url"] = "https://github.com/" + org + "/" + n + ".git"
		repo["ssh_url"] = "git@github.com:" + org + "/" + n + ".git"
		repo["archived"] = f.archived[n]
		out = append(out, repo)
	}
	if to < len(names) {
		w.Header().Set("Link", fmt.Sprintf(`<%s/%s/%s/repos?page=%d>; rel="next", <%s/%s/%s/repos?page=%d>; rel="last"`,
			f.srv.URL, strings.Replace(kind, "orgs", "organizations", 1), org, page+1, f.srv.URL, kind, org, (len(names)+f.pageSize-1)/f.pageSize))
	}
	writeJSON(w, http.StatusOK, out)
}

// checkRuns serves a commit's check runs a page at a time, with GitHub's
// Link header; filter=latest is the only filter paved asks for.
func (f *fakeGitHub) checkRuns(w http.ResponseWriter, r *http.Request, key string) {
	require.Equal(f.t, "latest", r.URL.Query().Get("filter"))
	all := f.runs[key]
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from, to := min((page-1)*f.pageSize, len(all)), min(page*f.pageSize, len(all))
	if to < len(all) {
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?filter=latest&page=%d>; rel="next"`, f.srv.URL, r.URL.Path, page+1))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(all), "check_runs": append([]map[string]any{}, all[from:to]...)})
}

func (f *fakeGitHub) pullList(w http.ResponseWriter, r *http.Request, repo string) {
	owner := strings.Split(repo, "/")[0]
	if r.Method == "GET" {
		q := r.URL.Query()
		out := []map[string]any{}
		for _, pr := range f.pulls[repo] {
			head := pr["head"].(map[string]any)
			if (q.Get("head") == "" || q.Get("head") == head["label"]) && (q.Get("state") == "" || q.Get("state") == pr["state"]) {
				out = append(out, pr)
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var body map[string]string
	require.NoError(f.t, json.NewDecoder(r.Body).Decode(&body))
	for _, pr := range f.pulls[repo] {
		if pr["head"].(map[string]any)["ref"] == body["head"] && pr["state"] == "open" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"message": "A pull request already exists for " + owner + ":" + body["head"] + "."}}})
			return
		}
	}
	n := 1347 + len(f.pulls[repo])
	pr := recorded(f.t, "pull.json")
	pr["number"], pr["title"], pr["body"] = n, body["title"], body["body"]
	pr["html_url"] = fmt.Sprintf("https://github.com/%s/pull/%d", repo, n)
	pr["head"] = map[string]any{"ref": body["head"], "label": owner + ":" + body["head"]}
	pr["base"] = map[string]any{"ref": body["base"], "label": owner + ":" + body["base"]}
	f.pulls[repo] = append(f.pulls[repo], pr)
	writeJSON(w, http.StatusCreated, pr)
}

func (f *fakeGitHub) pull(w http.ResponseWriter, r *http.Request, repo, number string) {
	for _, pr := range f.pulls[repo] {
		if fmt.Sprint(pr["number"]) != number {
			continue
		}
		if r.Method == "PATCH" {
			var body map[string]string
			require.NoError(f.t, json.NewDecoder(r.Body).Decode(&body))
			pr["state"] = body["state"]
		}
		writeJSON(w, http.StatusOK, pr)
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

// merge merges pull request n of repo as GitHub's merge button would.
func (f *fakeGitHub) merge(repo string, n int, sha string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, pr := range f.pulls[repo] {
		if pr["number"] == n {
			pr["state"], pr["merged"], pr["merged_at"], pr["merge_commit_sha"] = "closed", true, "2026-11-22T10:00:00Z", sha
		}
	}
}

func recorded(t *testing.T, file string) map[string]any {
	data, err := os.ReadFile("testdata/" + file)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
