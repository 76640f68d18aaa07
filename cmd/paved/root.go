package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/version"
	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/pipelines/redact"
)

// commands holds the constructors of the top-level verbs. Each verb file
// registers its own in an init function, so verbs can be added without
// touching this file.
var commands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { commands = append(commands, newCmd) }

// usageError marks a command-line usage error (unknown flag, missing
// argument), which exits 2 like any other bad input.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "paved",
		Short: "Build, scan, SBOM, sign and GitOps-deploy a service's image",
		Long: `paved is a reusable CI pipeline engine. Every step of a service's pipeline
is a verb of this command; 'paved run build-scan-deploy' runs them all.

Exit codes: 0 ok, 1 internal error, 2 usage or bad input,
3 policy violation, 4 transient or network failure.`,
		Version:       version.Get(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	return root
}

// run executes the CLI with args and returns the process exit code. Errors
// are printed once, as one line, on stderr, with the credentials of any URL
// in them hidden. A panic is a bug: exit 1, asking for a report, with the
// stack below the line.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	var err error
	defer func() {
		if err != nil {
			code = exitCode(err)
			fmt.Fprintf(stderr, "paved: %s\n", oneLine(withFlagHint(err).Error()))
			var p *failure.Panic
			if errors.As(err, &p) {
				fmt.Fprintf(stderr, "paved %s, %s\n%s", version.Get(), runtime.Version(), redact.Text(string(p.Stack)))
			}
		}
	}()
	defer failure.Recover(&err)
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err = root.ExecuteContext(ctx)
	return 0
}

// oneLine redacts msg and joins its lines, so an error is one line.
func oneLine(msg string) string {
	var parts []string
	for _, l := range strings.Split(redact.Text(msg), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || isCobraUsage(err) {
		return failure.ExitCode(failure.BadInput)
	}
	if errors.Is(err, context.Canceled) {
		return failure.ExitCode(failure.Transient)
	}
	return failure.ExitCode(failure.KindOf(err))
}

// isCobraUsage recognises the argument errors cobra returns without a type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "required flag"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
