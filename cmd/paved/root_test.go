package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

// TestPanicIsInternal: a panic, in the command or in a goroutine of a
// pipeline step, exits 1 (never 2, which is bad input) with one line asking
// for a report, the stack below it, and no secret of a URL.
func TestPanicIsInternal(t *testing.T) {
	commands = append(commands, func() *cobra.Command {
		return &cobra.Command{Use: "test-panic", Hidden: true, RunE: func(*cobra.Command, []string) error {
			panic(fmt.Sprintf("index out of range fetching %s", "https://ghp_CANARY@github.com/o/r.git"))
		}}
	})
	t.Cleanup(func() { commands = commands[:len(commands)-1] })
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"test-panic"}, &stdout, &stderr)
	require.Equal(t, 1, code)
	first, rest, _ := strings.Cut(stderr.String(), "\n")
	require.Contains(t, first, "please report")
	require.Contains(t, first, "index out of range")
	require.Contains(t, rest, "goroutine", "the stack follows, for the report")
	require.NotContains(t, stderr.String(), "CANARY")
}

// TestErrorIsOneRedactedLine: a multi-line error is printed on one line,
// with the credentials of its URLs hidden.
func TestErrorIsOneRedactedLine(t *testing.T) {
	commands = append(commands, func() *cobra.Command {
		return &cobra.Command{Use: "test-error", Hidden: true, RunE: func(*cobra.Command, []string) error {
			return errors.New("fetching policy \"http://u:CANARY@127.0.0.1:1/p.yaml\":\n  line 3: refused")
		}}
	})
	t.Cleanup(func() { commands = commands[:len(commands)-1] })
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"test-error"}, &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Equal(t, "paved: fetching policy \"http://***@127.0.0.1:1/p.yaml\": line 3: refused\n", stderr.String())
}
