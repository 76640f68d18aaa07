//go:build forge

package giteatest_test

import (
	"testing"

	"github.com/paved-dev/paved/internal/giteatest"
)

func TestStart(t *testing.T) {
	s := giteatest.Start(t)
	s.CreateOrg(t, "acme")
	s.CreateRepo(t, "acme", "api")
	sha := s.CommitFile(t, "acme", "api", "feature", "x.txt", "hello\n")
	if len(sha) != 40 {
		t.Fatalf("commit sha %q", sha)
	}
	s.Status(t, "acme", "api", sha, "paved", "success", "http://ci.example/1")
	var combined struct {
		State string `json:"state"`
	}
	s.Do(t, "GET", "/repos/acme/api/commits/"+sha+"/status", nil, &combined)
	if combined.State != "success" {
		t.Fatalf("combined state %q, want success", combined.State)
	}
}
