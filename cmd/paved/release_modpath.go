package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/failure"
	"github.com/paved-dev/paved/release/modpath"
)

func init() { registerRelease(newReleaseModulePathCmd) }

// modulePathResult is the JSON output of paved release module-path.
type modulePathResult struct {
	Module  string   `json:"module"`
	Changed []string `json:"changed"`
}

func newReleaseModulePathCmd() *cobra.Command {
	var repo, output string
	cmd := &cobra.Command{
		Use:   "module-path vN",
		Short: "Move the Go module to the path of a major version (…/v2 from v2 on) before releasing it",
		Long: `module-path prepares a major release: Go's semantic import versioning puts
v2 and later of a module at MODULE/vN, and 'go install …@v2.0.0' and 'go get'
refuse a v2 tag of a module whose go.mod still says MODULE. 'paved release
publish' of such a version refuses (exit 2) until this ran and was committed.

It edits the work tree of --repo: go.mod's module line and, in every Go file
of the module (not other modules, hidden directories or vendor/), each quoted
path of the module's packages (imports, the -X version variable) and each
"-X MODULE/…" linker flag. Commit the change, then test a new candidate.
Nothing is written when the module is already at that path. Exit codes: 0
done, 2 bad input (not vN or vN.Y.Z, no go.mod), 1 a file could not be written.`,
		Example: `  paved release module-path v2
  git commit -am 'refactor!: module path github.com/paved-dev/paved/v2'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runReleaseModulePath(cmd, args[0], repo, output) },
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "Go module (repository root) to move")
	outputFlag(cmd, &output)
	return cmd
}

func runReleaseModulePath(cmd *cobra.Command, major, repo, output string) error {
	if err := checkOutput(output); err != nil {
		return err
	}
	v, err := semver.NewVersion(major)
	if err != nil || !strings.HasPrefix(major, "v") {
		return failure.BadInputErr(fmt.Errorf("major version %q: write it as vN, e.g. v2", major))
	}
	files, err := modpath.Move(repo, v.Major())
	if err != nil {
		return failure.BadInputErr(err)
	}
	if err := modpath.Write(repo, files); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		return fmt.Errorf("reading the moved go.mod: %w", err)
	}
	res := modulePathResult{Changed: []string{}}
	if res.Module, err = modpath.Read(gomod); err != nil {
		return err
	}
	for name := range files {
		res.Changed = append(res.Changed, name)
	}
	sort.Strings(res.Changed)
	if output == "json" {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "module %s: %d files changed\n", res.Module, len(res.Changed))
	for _, name := range res.Changed {
		fmt.Fprintf(cmd.OutOrStdout(), "  %s\n", name)
	}
	return nil
}
