package candidate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
)

// ExecRunner runs programs with os/exec.
type ExecRunner struct{}

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, inv Invocation) (Result, error) {
	cmd := exec.CommandContext(ctx, inv.Binary, inv.Args...)
	cmd.Dir, cmd.Env = inv.Dir, inv.Env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return Result{ExitCode: exit.ExitCode(), Output: out.String()}, nil
	case err != nil:
		return Result{}, fmt.Errorf("running %q: %w", inv.Binary, err)
	}
	return Result{Output: out.String()}, nil
}
