package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AppRegistry is the registry host the reference apps' paved.yaml names
// their images and bases by.
const AppRegistry = "127.0.0.1:5000"

// ServiceOptions say where a reference app runs: the run's registry,
// platform policy, signing key and GitOps remote.
type ServiceOptions struct {
	// App is the reference app's directory (its paved.yaml, CI files).
	App string
	// Dir receives the service repository.
	Dir string
	// Registry replaces AppRegistry; Policy, Key (cosign.key, its .pub
	// beside it) and GitOps are absolute paths for the app's ../../policy.yaml,
	// ../../keys/cosign.key and ../../gitops.git.
	Registry, Policy, Key, GitOps string
	// Date is the commit's author and committer date, so the same app
	// gives the same commit.
	Date time.Time
	// Origin, when set, is the repository's origin URL (gitlab-ci-local
	// derives CI_SERVER_FQDN and the project path from it).
	Origin string
}

// appPath is a paved.yaml value that points out of the app's directory.
var appPath = regexp.MustCompile(`^(\s*[\w-]+:\s*)\.\./\.\./(\S+)\s*$`)

// NewService makes a service repository from a reference app, as a team's
// repository would hold it: the app's files at the root (its CI files
// byte for byte), one commit on main, and its paved.yaml pointing at the
// run's registry, policy, signing key and GitOps remote instead of the
// demo's (../../…).
func NewService(ctx context.Context, o ServiceOptions) error {
	if err := os.CopyFS(o.Dir, os.DirFS(o.App)); err != nil {
		return fmt.Errorf("copying app %q: %w", o.App, err)
	}
	cfg := filepath.Join(o.Dir, "paved.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		return fmt.Errorf("reading %q: %w", cfg, err)
	}
	targets := map[string]string{"policy.yaml": o.Policy, "keys/cosign.key": o.Key, "gitops.git": o.GitOps}
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(string(data), AppRegistry, o.Registry), "\n") {
		m := appPath.FindStringSubmatch(line)
		if m == nil {
			out = append(out, line)
			continue
		}
		target, ok := targets[m[2]]
		if !ok || target == "" {
			return fmt.Errorf("pointing %q at the run: no path for ../../%s", cfg, m[2])
		}
		out = append(out, m[1]+target)
		if m[2] == "keys/cosign.key" {
			indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
			out = append(out, indent+"publicKey: "+strings.TrimSuffix(target, ".key")+".pub")
		}
	}
	if err := os.WriteFile(cfg, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		return err
	}
	date := strconv.FormatInt(o.Date.Unix(), 10) + " +0000"
	if err := commitAllAt(ctx, o.Dir, "the service", date); err != nil {
		return err
	}
	if o.Origin != "" {
		if out, err := git(ctx, o.Dir, "remote", "add", "origin", o.Origin); err != nil {
			return fmt.Errorf("adding origin %q: %w: %s", o.Origin, err, out)
		}
	}
	return nil
}

// commitAllAt makes dir a repository and commits everything in it with a
// fixed author and committer date.
func commitAllAt(ctx context.Context, dir, message, date string) error {
	if out, err := git(ctx, dir, "init", "-q", "-b", "main"); err != nil {
		return fmt.Errorf("running git init in %q: %w: %s", dir, err, out)
	}
	return commitAt(ctx, dir, message, date, ".")
}

// commitAt commits paths of repository dir as the test's author on date
// (git's "UNIX-SECONDS +ZONE"), so the same files on the same date give
// the same commit in every run.
func commitAt(ctx context.Context, dir, message, date string, paths ...string) error {
	for _, args := range [][]string{append([]string{"add", "-A", "--"}, paths...),
		{"-c", "user.name=paved test", "-c", "user.email=test@paved.invalid", "commit", "-q", "-m", message}} {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("running git %s in %q: %w: %s", strings.Join(args, " "), dir, err, out)
		}
	}
	return nil
}
