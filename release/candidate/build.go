package candidate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// VersionVar is the variable paved's version is stamped into.
const VersionVar = "github.com/paved-dev/paved/internal/version.Version"

// BuildArgs are the go build arguments (before -o) of a paved stamped with
// version: the flags pipelines/build's Go builder uses for a released
// binary (-trimpath, -buildvcs=false, -ldflags "-s -w -X …"), so what the
// harness tests is built the way paved release publish builds it.
// -trimpath also makes the compiled packages independent of the source's
// location, so every export reuses the Go build cache.
func BuildArgs(version string) []string {
	return []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X " + VersionVar + "=" + version}
}

// BuildEnv is added to a build's environment: CGO off as in
// pipelines/build, and GOEXPERIMENT=jsonv2 (Trivy needs it).
var BuildEnv = []string{"CGO_ENABLED=0", "GOEXPERIMENT=jsonv2"}

// Build compiles paved from the source tree src into out, stamped with
// version. env is the build's environment, BuildEnv is added. Source that
// does not compile is ErrCompile.
func Build(ctx context.Context, src, version, out string, env []string) error {
	cmd := exec.CommandContext(ctx, "go", append(BuildArgs(version), "-o", out, "./cmd/paved")...)
	cmd.Dir = src
	cmd.Env = append(append([]string{}, env...), BuildEnv...)
	output, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		// go ran and refused the source.
		return fmt.Errorf("building paved %s from %q: %w (%w):\n%s", version, src, ErrCompile, err, strings.TrimSpace(string(output)))
	case err != nil:
		return fmt.Errorf("building paved %s from %q: %w:\n%s", version, src, err, strings.TrimSpace(string(output)))
	}
	return nil
}

// BuildCommit exports rev of repo with git archive into src (emptied
// first) and builds paved from it: only what the commit holds is compiled,
// never an uncommitted edit or a file git ignores or excludes.
func BuildCommit(ctx context.Context, repo, rev, version, src, out string, env []string) error {
	if err := os.RemoveAll(src); err != nil {
		return err
	}
	if err := Export(ctx, repo, rev, src); err != nil {
		return err
	}
	return Build(ctx, src, version, out, env)
}
