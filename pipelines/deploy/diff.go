package deploy

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// unifiedDiff renders the changes as a unified diff (git style a/ b/ paths,
// three lines of context).
func unifiedDiff(ch []*fileChange) string {
	var b strings.Builder
	for _, f := range ch {
		text, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A:        difflib.SplitLines(string(f.Old)),
			B:        difflib.SplitLines(string(f.New)),
			FromFile: "a/" + f.Path,
			ToFile:   "b/" + f.Path,
			Context:  3,
		})
		b.WriteString(text)
	}
	return b.String()
}
