package candidate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBuildCommit: the candidate is built from a git archive of the
// commit, not the work tree, so a file git hides (.git/info/exclude) or an
// uncommitted edit is not compiled in; and with the flags paved's own Go
// builder uses (pipelines/build): CGO off, -trimpath, -s -w, no VCS stamp.
func TestBuildCommit(t *testing.T) {
	repo := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/tiny\n\ngo 1.22\n",
		"cmd/paved/main.go": "package main\n\nfunc main() { println(\"tiny\") }\n",
	}
	for p, content := range files {
		f := filepath.Join(repo, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(f), 0o755))
		require.NoError(t, os.WriteFile(f, []byte(content), 0o644))
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "tiny"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
	}
	// Hidden from git status, yet in the work tree: it does not compile.
	require.NoError(t, os.WriteFile(filepath.Join(repo, ".git", "info", "exclude"), []byte("zz_debug.go\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "cmd", "paved", "zz_debug.go"), []byte("package main\n\nthis does not compile\n"), 0o644))

	work := t.TempDir()
	bin := filepath.Join(work, "bin", "paved")
	require.NoError(t, BuildCommit(context.Background(), repo, "HEAD", "v0.2.0-rc.1", filepath.Join(work, "src"), bin, os.Environ()))
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	require.NoError(t, err, string(out))
	info := string(out)
	require.Contains(t, info, "CGO_ENABLED=0")
	require.Contains(t, info, "-trimpath=true")
	require.NotContains(t, info, "vcs.revision")
	// -trimpath keeps -ldflags out of the build info: the arguments then.
	require.Equal(t, []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X " + VersionVar + "=v0.2.0-rc.1"}, BuildArgs("v0.2.0-rc.1"))
}
