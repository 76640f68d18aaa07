package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/template/service"
)

func init() { register(newChangedCmd) }

// changedOutput is the JSON result of paved changed (covered by semver).
type changedOutput struct {
	Base     string           `json:"base"`
	Services []service.Change `json:"services"`
}

func newChangedCmd() *cobra.Command {
	var base, root, output string
	cmd := &cobra.Command{
		Use:   "changed --base REF",
		Short: "List the services whose sources or paved.yaml changed since REF",
		Long: `changed compares HEAD with its merge base with REF (as git diff REF...HEAD)
and lists the services under --root affected by the committed changes. A
service is a directory with a paved.yaml; its sources are that directory,
its build.dir and the paths listed under sources in its paved.yaml.
Text output is one service directory per line, for a CI matrix or a loop.`,
		Example: `  paved changed --base origin/main
  paved changed --base origin/main --root services --output json
  for svc in $(paved changed --base origin/main); do paved run build-scan-deploy "$svc"; done`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if base == "" {
				return usageError{fmt.Errorf("--base is required (the branch or commit to compare with, e.g. origin/main)")}
			}
			changes, err := service.Changed(root, base)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), changedOutput{Base: base, Services: changes})
			}
			for _, c := range changes {
				fmt.Fprintln(cmd.OutOrStdout(), c.Dir)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "revision to compare with (branch, tag or commit)")
	cmd.Flags().StringVar(&root, "root", ".", "directory to search for services (inside a git work tree)")
	outputFlag(cmd, &output)
	return cmd
}
