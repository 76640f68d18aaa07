// Package giteatest starts a real Gitea for tests of paved's Gitea forge:
// the binary hack/tools.sh builds (and caches) from the Go module proxy, on a
// free loopback port, with SQLite in the test's temporary directory and an
// admin user whose API token the test uses.
//
// Starting one takes a few seconds: share one Server between the subtests of
// a package instead of starting one per test.
package giteatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Admin is the name and password of the Gitea's admin user.
const (
	Admin    = "paved-admin"
	Password = "paved-test-password-0"
)

// Server is a running Gitea.
type Server struct {
	// URL is the web and git root (http://127.0.0.1:PORT), API its REST
	// API (URL + "/api/v1").
	URL, API string
	// Token is an all-scopes API token of Admin.
	Token string
	dir   string
}

// Start builds Gitea once (hack/tools.sh gitea; $PAVED_GITEA names a binary
// instead), starts it and stops it when tb ends. Gitea's log is printed
// when the test fails. ini is appended to the configuration: sections such
// as "[api]\nMAX_RESPONSE_ITEMS = 2" (small pages, to test paging).
func Start(tb testing.TB, ini ...string) *Server {
	tb.Helper()
	exe := binary(tb)
	dir := tb.TempDir()
	port := freePort(tb)
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), dir: dir}
	s.API = s.URL + "/api/v1"
	conf := filepath.Join(dir, "app.ini")
	static := filepath.Join(filepath.Dir(filepath.Dir(exe)), "src")
	if err := os.WriteFile(conf, []byte(appIni(dir, static, port)+strings.Join(ini, "\n")), 0o600); err != nil {
		tb.Fatal(err)
	}
	s.run(tb, exe, conf, "migrate")
	s.run(tb, exe, conf, "admin", "user", "create", "--admin", "--username", Admin, "--password", Password,
		"--email", Admin+"@example.com", "--must-change-password=false")
	// Gitea logs to standard output too: the token is its last line.
	out := strings.Fields(s.run(tb, exe, conf, "admin", "user", "generate-access-token", "--username", Admin,
		"--token-name", "paved", "--scopes", "all", "--raw"))
	if len(out) == 0 {
		tb.Fatal("gitea admin user generate-access-token printed no token")
	}
	s.Token = out[len(out)-1]

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, exe, "web", "--config", conf, "--work-path", dir)
	cmd.Env = s.env()
	logf, err := os.Create(filepath.Join(dir, "web.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting gitea: %v", err)
	}
	tb.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logf.Close()
		if tb.Failed() {
			s.dumpLog(tb)
		}
	})
	s.waitReady(tb)
	return s
}

// binary returns the Gitea executable: $PAVED_GITEA, else hack/tools.sh's.
func binary(tb testing.TB) string {
	if exe := os.Getenv("PAVED_GITEA"); exe != "" {
		return exe
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	out, err := exec.Command(filepath.Join(root, "hack", "tools.sh"), "gitea").Output()
	if err != nil {
		tb.Fatalf("building gitea with hack/tools.sh gitea: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// env is the Gitea's environment: as root Gitea refuses to run unless told.
func (s *Server) env() []string {
	return append(os.Environ(), "GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true", "GITEA_WORK_DIR="+s.dir, "HOME="+s.dir)
}

// run runs a gitea subcommand against conf and returns its standard output.
func (s *Server) run(tb testing.TB, exe, conf string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(exe, append(args, "--config", conf, "--work-path", s.dir)...)
	cmd.Env = s.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("gitea %s: %v\n%s%s", args[0], err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func (s *Server) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.API + "/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.dumpLog(tb)
	tb.Fatal("gitea did not answer on " + s.API + " within 60 s")
}

func (s *Server) dumpLog(tb testing.TB) {
	data, _ := os.ReadFile(filepath.Join(s.dir, "web.log"))
	if len(data) > 8<<10 {
		data = data[len(data)-8<<10:]
	}
	tb.Logf("gitea log (tail):\n%s", data)
}

// Do calls the API as Admin with a JSON body (nil for none) and decodes a
// JSON answer into out (nil to drop it); an answer other than 2xx fails tb.
func (s *Server) Do(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	if err := s.do(method, path, body, out); err != nil {
		tb.Fatal(err)
	}
}

// try is Do without a body, returning the failure.
func (s *Server) try(method, path string, out any) error { return s.do(method, path, nil, out) }

func (s *Server) do(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.API+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gitea %s %s: HTTP %s: %s", method, path, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("gitea %s %s: reading %s: %w", method, path, data, err)
		}
	}
	return nil
}

// CloneURL is the https-style clone URL of owner/repo on the Gitea.
func (s *Server) CloneURL(owner, repo string) string {
	return s.URL + "/" + owner + "/" + repo + ".git"
}
