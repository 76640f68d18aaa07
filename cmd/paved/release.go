package main

import "github.com/spf13/cobra"

func init() { register(newReleaseCmd) }

// releaseCommands are the subcommands of "paved release", registered from
// their own files with registerRelease.
var releaseCommands []func() *cobra.Command

func registerRelease(newCmd func() *cobra.Command) {
	releaseCommands = append(releaseCommands, newCmd)
}

func newReleaseCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Test a paved candidate against the reference apps, then publish it",
		Long: `release is the platform team's gate in front of a new paved version:
'paved release candidate' runs the candidate and the previous release on the
reference apps and diffs what they produce; 'paved release publish' tags and
publishes a candidate that passed.`,
	}
	for _, newCmd := range releaseCommands {
		cmd.AddCommand(newCmd())
	}
	return cmd
}
