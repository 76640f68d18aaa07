package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// envRecordArgv makes the test binary a stand-in for paved that appends
// its arguments, as a JSON array, to the file it names and exits 0: the
// wrapper tests run the wrappers' real scripts with it first on PATH.
const envRecordArgv = "PAVED_TEST_RECORD_ARGV"

func TestMain(m *testing.M) {
	if file := os.Getenv(envRecordArgv); file != "" {
		os.Exit(recordArgv(file, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func recordArgv(file string, args []string) int {
	line, err := json.Marshal(append([]string{"paved"}, args...))
	if err == nil {
		var f *os.File
		if f, err = os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			_, err = f.Write(append(line, '\n'))
			err = errors.Join(err, f.Close())
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recording paved's arguments:", err)
		return 1
	}
	return 0
}

// recorder puts a paved that records its arguments first on PATH.
type recorder struct {
	dir, log string
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	r := &recorder{dir: t.TempDir()}
	r.log = filepath.Join(r.dir, "argv.jsonl")
	require.NoError(t, os.Symlink(self, filepath.Join(r.dir, "paved")))
	return r
}

// env is the environment that makes "paved" the recorder.
func (r *recorder) env() []string {
	return []string{"PATH=" + r.dir + string(os.PathListSeparator) + os.Getenv("PATH"), envRecordArgv + "=" + r.log}
}

// take returns the command lines recorded since the last call.
func (r *recorder) take(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(r.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	require.NoError(t, os.Remove(r.log))
	var out [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var argv []string
		require.NoError(t, json.Unmarshal([]byte(line), &argv))
		out = append(out, argv)
	}
	return out
}

// parseCommandLine parses argv (starting with "paved") exactly as the CLI
// would before running it: the verb must exist and be runnable, and its
// flags, positional arguments, required flags and flag groups must be
// accepted. Nothing runs.
func parseCommandLine(argv []string) error {
	if len(argv) == 0 || argv[0] != "paved" {
		return fmt.Errorf("%q does not run paved", argv)
	}
	root := newRootCmd(io.Discard, io.Discard)
	cmd, rest, err := root.Find(argv[1:])
	if err != nil {
		return err
	}
	if !cmd.Runnable() {
		return fmt.Errorf("%q is a group of verbs, not a verb", cmd.CommandPath())
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return err
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return err
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return err
	}
	return cmd.ValidateFlagGroups()
}

func TestParseCommandLine(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		err  string
	}{
		{argv: []string{"paved", "run", "build-scan-deploy", ".", "--report-dir", "out", "--env", "dev"}},
		{argv: []string{"paved", "db", "update", "--db-dir", "db", "--repository", "127.0.0.1:5000/trivy-db:2"}},
		{argv: []string{"paved", "run", "build-scan-deploy", ".", "--out-dir", "out"}, err: "unknown flag: --out-dir"},
		{argv: []string{"paved", "scan", "img", "--format", "sarif"}, err: "unknown flag: --format"},
		{argv: []string{"paved", "run", "build-scan-deploy", "a", "b"}, err: "accepts at most 1 arg"},
		{argv: []string{"paved", "db"}, err: "not a verb"},
		{argv: []string{"paved", "no-such-verb"}, err: "unknown command"},
		{argv: []string{"sh", "-c", "paved"}, err: "does not run paved"},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			err := parseCommandLine(tc.argv)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}
