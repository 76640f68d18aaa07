package failure

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExitCode pins the documented exit codes (README "Exit codes",
// VERSIONING.md): changing one is a breaking change.
func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"unclassified", errors.New("boom"), 1},
		{"internal", InternalErr(errors.New("boom")), 1},
		{"bad input", fmt.Errorf("reading %q: %w", "x", BadInputErr(errors.New("missing"))), 2},
		{"policy", PolicyErr(errors.New("gate")), 3},
		{"transient", TransientErr(errors.New("timeout")), 4},
		{"unknown kind", &classified{kind: Kind(99), err: errors.New("?")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ExitCode(KindOf(tc.err)))
		})
	}
}
