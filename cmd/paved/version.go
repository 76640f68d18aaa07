package main

import (
	"fmt"
	"runtime"

	"github.com/paved-dev/paved/internal/version"

	"github.com/spf13/cobra"
)

func init() { register(newVersionCmd) }

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print paved's version",
		Example: "  paved version --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"version": pavedVersion(), "go": runtime.Version()})
			}
			fmt.Fprintln(cmd.OutOrStdout(), pavedVersion())
			return nil
		},
	}
	outputFlag(cmd, &output)
	return cmd
}

// pavedVersion is the version this binary reports.
func pavedVersion() string { return version.Get() }
