package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Dotenv writes the run's outputs as a GitLab dotenv report: PAVED_STATUS,
// PAVED_IMAGE, PAVED_DIGEST, PAVED_GITOPS_COMMIT, … (a later job of the
// pipeline reads them as variables). Empty outputs are left out.
func (r *Run) Dotenv(w io.Writer) error {
	out := r.Outputs()
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := out[name]
		if v == "" || strings.ContainsAny(v, "\n\r") {
			continue
		}
		if _, err := fmt.Fprintf(w, "PAVED_%s=%s\n", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), v); err != nil {
			return err
		}
	}
	return nil
}
