package runner

import (
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path"
	"strings"
	"sync"
)

// Project is paved's project path on the GitLab stand-in, as a service's
// component include names it ($CI_SERVER_FQDN/paved-dev/paved/NAME@REF).
const Project = "paved-dev/paved"

// Server serves a Release over HTTP on loopback: its files under
// /releases/VERSION/FILE (the release-url the wrappers download from), and,
// standing in for the GitLab instance that hosts paved's component, the
// tree's files at GitLab's raw URLs (/paved-dev/paved/-/raw/REF/FILE) and
// the tree's git repository over git's own smart HTTP
// (/paved-dev/paved.git, git http-backend). It records every request.
type Server struct {
	srv *httptest.Server
	mu  sync.Mutex
	log []string
}

// Serve starts a Server for r; Close stops it.
func Serve(r *Release) *Server {
	s := &Server{}
	mux := http.NewServeMux()
	mux.Handle("/releases/", http.StripPrefix("/releases/", http.FileServer(http.Dir(r.Files))))
	mux.HandleFunc("/"+Project+"/-/raw/", func(w http.ResponseWriter, req *http.Request) {
		ref, file, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"+Project+"/-/raw/"), "/")
		if !ok {
			http.NotFound(w, req)
			return
		}
		out, err := exec.CommandContext(req.Context(), "git", "-C", r.Tree, "show", ref+":"+path.Clean(file)).Output()
		if err != nil {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write(out)
	})
	gitPath, _ := exec.LookPath("git")
	mux.Handle("/"+Project+".git/", &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		// PATH_INFO (/paved-dev/paved.git/...) names the bare repository
		// under GIT_PROJECT_ROOT. A partial clone (--filter) is allowed, as
		// gitlab-ci-local fetches one file.
		Env: []string{"GIT_PROJECT_ROOT=" + r.GitRoot, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=uploadpack.allowFilter", "GIT_CONFIG_VALUE_0=true"},
	})
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.mu.Lock()
		s.log = append(s.log, req.Method+" "+req.URL.Path)
		s.mu.Unlock()
		mux.ServeHTTP(w, req)
	}))
	s.srv.Listener.Close()
	s.srv.Listener, _ = net.Listen("tcp", "127.0.0.1:0")
	s.srv.Start()
	return s
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.srv.URL }

// ReleaseURL is the release-url the wrappers download from.
func (s *Server) ReleaseURL() string { return s.srv.URL + "/releases" }

// Host is HOST:PORT, the GitLab stand-in's CI_SERVER_FQDN.
func (s *Server) Host() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Requests returns the requests served so far, "METHOD PATH".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }
