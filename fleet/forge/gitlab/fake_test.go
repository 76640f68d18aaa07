package gitlab_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeGitLab implements the slice of GitLab's REST API v4 the forge calls,
// answering with objects shaped like testdata's recorded ones. A hosted API
// cannot run here; this is the one thing the tests fake.
type fakeGitLab struct {
	t        *testing.T
	srv      *httptest.Server
	token    string
	pageSize int

	mu       sync.Mutex
	groups   map[string][]string // group path → project paths (full), subgroups included
	archived map[string]bool
	mrs      map[string][]map[string]any // project path → merge requests
	notes    map[string][]string         // project!iid → notes
	statuses map[string][]map[string]any // project path@sha → job statuses
	calls    []string                    // "METHOD escaped-path?query"
}

func newFakeGitLab(t *testing.T, token string) *fakeGitLab {
	f := &fakeGitLab{t: t, token: token, pageSize: 2, groups: map[string][]string{}, archived: map[string]bool{},
		mrs: map[string][]map[string]any{}, notes: map[string][]string{}, statuses: map[string][]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.RequestURI())
	if r.Header.Get("PRIVATE-TOKEN") != f.token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	// GitLab takes a project or group path as one URL-encoded segment.
	p := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/"), "/")
	if len(p) < 2 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	id, err := url.PathUnescape(p[1])
	require.NoError(f.t, err)
	switch {
	case r.Method == "GET" && len(p) == 3 && p[0] == "groups" && p[2] == "projects":
		f.projects(w, r, id)
	case len(p) == 3 && p[0] == "projects" && p[2] == "merge_requests":
		f.mergeRequests(w, r, id)
	case r.Method == "GET" && len(p) == 6 && p[0] == "projects" && p[2] == "repository" && p[3] == "commits" && p[5] == "statuses":
		f.commitStatuses(w, r, id+"@"+p[4])
	case len(p) >= 4 && p[0] == "projects" && p[2] == "merge_requests":
		f.mergeRequest(w, r, id, p[3], len(p) == 5 && p[4] == "notes")
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
	}
}

// commitStatuses serves a commit's job statuses a page at a time, with
// GitLab's X-Next-Page header.
func (f *fakeGitLab) commitStatuses(w http.ResponseWriter, r *http.Request, key string) {
	all := f.statuses[key]
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from, to := min((page-1)*f.pageSize, len(all)), min(page*f.pageSize, len(all))
	next := ""
	if to < len(all) {
		next = strconv.Itoa(page + 1)
	}
	w.Header().Set("X-Next-Page", next)
	writeJSON(w, http.StatusOK, append([]map[string]any{}, all[from:to]...))
}

func (f *fakeGitLab) projects(w http.ResponseWriter, r *http.Request, group string) {
	paths, ok := f.groups[group]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Group Not Found"})
		return
	}
	q := r.URL.Query()
	require.Equal(f.t, "true", q.Get("include_subgroups"))
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	from, to := min((page-1)*f.pageSize, len(paths)), min(page*f.pageSize, len(paths))
	out := []map[string]any{}
	for _, full := range paths[from:to] {
		p := recorded(f.t, "project.json")
		p["path"] = full[strings.LastIndex(full, "/")+1:]
		p["path_with_namespace"] = full
		p["http_url_to_repo"] = "https://gitlab.example.com/" + full + ".git"
		p["ssh_url_to_repo"] = "git@gitlab.example.com:" + full + ".git"
		p["archived"] = f.archived[full]
		out = append(out, p)
	}
	next := ""
	if to < len(paths) {
		next = strconv.Itoa(page + 1)
	}
	w.Header().Set("X-Next-Page", next)
	w.Header().Set("X-Page", strconv.Itoa(page))
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeGitLab) mergeRequests(w http.ResponseWriter, r *http.Request, project string) {
	if r.Method == "GET" {
		q := r.URL.Query()
		out := []map[string]any{}
		for _, mr := range f.mrs[project] {
			if (q.Get("source_branch") == "" || q.Get("source_branch") == mr["source_branch"]) && (q.Get("state") == "" || q.Get("state") == mr["state"]) {
				out = append(out, mr)
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var body map[string]string
	require.NoError(f.t, json.NewDecoder(r.Body).Decode(&body))
	for _, mr := range f.mrs[project] {
		if mr["source_branch"] == body["source_branch"] && mr["state"] == "opened" {
			writeJSON(w, http.StatusConflict, map[string]any{"message": []string{"Another open merge request already exists for this source branch: !" + fmt.Sprint(mr["iid"])}})
			return
		}
	}
	iid := len(f.mrs[project]) + 1
	mr := recorded(f.t, "merge_request.json")
	mr["iid"], mr["title"], mr["description"] = iid, body["title"], body["description"]
	mr["source_branch"], mr["target_branch"] = body["source_branch"], body["target_branch"]
	mr["labels"] = strings.Split(body["labels"], ",")
	mr["web_url"] = fmt.Sprintf("https://gitlab.example.com/%s/-/merge_requests/%d", project, iid)
	f.mrs[project] = append(f.mrs[project], mr)
	writeJSON(w, http.StatusCreated, mr)
}

func (f *fakeGitLab) mergeRequest(w http.ResponseWriter, r *http.Request, project, iid string, notes bool) {
	for _, mr := range f.mrs[project] {
		if fmt.Sprint(mr["iid"]) != iid {
			continue
		}
		var body map[string]string
		if r.Method != "GET" {
			require.NoError(f.t, json.NewDecoder(r.Body).Decode(&body))
		}
		switch {
		case notes && r.Method == "POST":
			f.notes[project+"!"+iid] = append(f.notes[project+"!"+iid], body["body"])
			writeJSON(w, http.StatusCreated, map[string]any{"id": 302, "body": body["body"]})
			return
		case r.Method == "PUT" && body["state_event"] == "close":
			mr["state"] = "closed"
		}
		writeJSON(w, http.StatusOK, mr)
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
}

// merge merges merge request iid of project as GitLab would: with a merge
// commit, or (mergeSHA "") fast-forward.
func (f *fakeGitLab) merge(project string, iid int, mergeSHA string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, mr := range f.mrs[project] {
		if mr["iid"] == iid {
			mr["state"], mr["merged_at"] = "merged", "2026-11-22T10:00:00Z"
			if mergeSHA != "" {
				mr["merge_commit_sha"] = mergeSHA
			}
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
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
