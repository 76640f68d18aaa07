package runner

import (
	"regexp"
	"strconv"
	"strings"
)

// A failing step's exit code, as act (exit status N) and gitlab-ci-local
// (FAIL N) print it, and the one-line errors of paved and of its installer.
var (
	exitStatus = regexp.MustCompile(`exit status (\d+)|\sFAIL (\d+)\b`)
	errorLine  = regexp.MustCompile(`(paved(?: install)?: .*?)\s*$`)
)

// Failure returns, for a run that failed, the exit code of the step that
// failed and the last error line paved or its installer printed before it
// ("paved: unknown flag: --env", "paved install: checksum mismatch for …"),
// with the runner's prefixes cut; "" when neither printed one.
func (r *Run) Failure() (code int, message string) {
	code = r.ExitCode
	lines := strings.Split(r.Output, "\n")
	last := -1
	for i, l := range lines {
		if m := errorLine.FindStringSubmatch(l); m != nil && !strings.Contains(l, "paved: done") {
			message, last = m[1], i
		}
	}
	for _, l := range lines[last+1:] {
		if m := exitStatus.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1] + m[2])
			return n, message
		}
	}
	return code, message
}
