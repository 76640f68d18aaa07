package candidate

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// VersionVar is the variable paved's version is stamped into.
const VersionVar = "github.com/paved-dev/paved/internal/version.Version"

// Build compiles paved from the source tree src into out, stamped with
// version. -trimpath makes the compiled packages independent of src's
// location, so a baseline built in a temporary directory reuses the Go
// build cache for every package that did not change. env is the build's
// environment; GOEXPERIMENT=jsonv2 (Trivy needs it) is added.
func Build(ctx context.Context, src, version, out string, env []string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-X "+VersionVar+"="+version, "-o", out, "./cmd/paved")
	cmd.Dir = src
	cmd.Env = append(append([]string{}, env...), "GOEXPERIMENT=jsonv2")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building paved %s from %q: %w:\n%s", version, src, err, strings.TrimSpace(string(output)))
	}
	return nil
}
