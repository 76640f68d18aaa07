package giteatest

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"testing"
)

// appIni is a Gitea configuration for one test: loopback only, SQLite and
// repositories under dir, no mail, no cron, no indexer service, in-memory
// caches, and the templates and locales of static (the source tree kept
// next to the binary).
func appIni(dir, static string, port int) string {
	return fmt.Sprintf(`APP_NAME = paved-test
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
ROOT_URL = http://127.0.0.1:%[3]d/
STATIC_ROOT_PATH = %[2]s
APP_DATA_PATH = %[1]s/data
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false
OFFLINE_MODE = true

[database]
DB_TYPE = sqlite3
PATH = %[1]s/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = %[1]s/repositories
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = paved-test-secret-key
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.paved-test-internal-token

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false

[mailer]
ENABLED = false

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[cache]
ADAPTER = memory

[session]
PROVIDER = memory

[picture]
DISABLE_GRAVATAR = true
ENABLE_FEDERATED_AVATAR = false

[actions]
ENABLED = false

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = %[1]s/log
`, dir, static, port)
}

// CreateOrg creates organisation org, owned by Admin.
func (s *Server) CreateOrg(tb testing.TB, org string) {
	tb.Helper()
	s.Do(tb, "POST", "/orgs", map[string]any{"username": org, "visibility": "public"}, nil)
}

// CreateRepo creates repository org/name with one commit on main (a
// README) and returns its clone URL.
func (s *Server) CreateRepo(tb testing.TB, org, name string) string {
	tb.Helper()
	s.Do(tb, "POST", "/orgs/"+org+"/repos", map[string]any{
		"name": name, "auto_init": true, "default_branch": "main", "readme": "Default",
	}, nil)
	return s.CloneURL(org, name)
}

// CommitFile commits path with contents onto branch of owner/repo, creating
// branch from main when it does not exist, and returns the commit's SHA.
func (s *Server) CommitFile(tb testing.TB, owner, repo, branch, path, contents string) string {
	tb.Helper()
	body := map[string]any{"content": base64.StdEncoding.EncodeToString([]byte(contents)), "message": "Edit " + filepath.Base(path)}
	var b struct{ Name string }
	if err := s.try("GET", "/repos/"+owner+"/"+repo+"/branches/"+branch, &b); err != nil {
		body["branch"], body["new_branch"] = "main", branch
	} else {
		body["branch"] = branch
	}
	var out struct {
		Commit struct {
			SHA string `json:"sha"`
		} `json:"commit"`
	}
	s.Do(tb, "POST", "/repos/"+owner+"/"+repo+"/contents/"+path, body, &out)
	return out.Commit.SHA
}

// Status posts a commit status on sha of owner/repo, the way a CI
// integration reports a job: state is pending, success, error, failure or
// warning.
func (s *Server) Status(tb testing.TB, owner, repo, sha, context, state, targetURL string) {
	tb.Helper()
	s.Do(tb, "POST", "/repos/"+owner+"/"+repo+"/statuses/"+sha, map[string]string{
		"context": context, "state": state, "target_url": targetURL, "description": context + " " + state,
	}, nil)
}
