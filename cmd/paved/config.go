package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/pipelines/template/service"
)

func init() { register(newConfigCmd) }

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a service's paved.yaml",
		Long: `config works on a service's paved.yaml (apiVersion paved.dev/v1, kind Service).
Its JSON Schema, for editors, is schema/paved.schema.json.`,
	}
	cmd.AddCommand(newConfigValidateCmd())
	return cmd
}

// configValidateOutput is the JSON result of paved config validate.
type configValidateOutput struct {
	File    string `json:"file"`
	Valid   bool   `json:"valid"`
	Service string `json:"service"`
}

func newConfigValidateCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Validate a paved.yaml (default ./paved.yaml); exit 2 when it is invalid",
		Long: `validate decodes FILE strictly and checks its values: an unknown key is an
error naming the line and the closest known key, and so is a missing or
wrong value. Exit codes: 0 valid, 2 invalid or unreadable.`,
		Example: `  paved config validate
  paved config validate examples/reference-apps/go-api/paved.yaml --output json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			file := service.ConfigFile
			if len(args) == 1 {
				file = args[0]
			}
			c, err := service.Load(file)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(cmd.OutOrStdout(), configValidateOutput{File: file, Valid: true, Service: c.Name})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (service %s)\n", file, c.Name)
			return nil
		},
	}
	outputFlag(cmd, &output)
	return cmd
}
