package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// outputFlag adds the --output flag shared by every verb that has a
// machine-readable result.
func outputFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "output", "o", "text", "output format: text or json")
}

// checkOutput validates an --output value.
func checkOutput(v string) error {
	if v != "text" && v != "json" {
		return usageError{fmt.Errorf("invalid --output %q: use text or json", v)}
	}
	return nil
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
