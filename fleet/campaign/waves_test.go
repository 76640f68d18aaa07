package campaign

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPlanPercentRounding: a percentage wave takes the share of the fleet
// rounded up, and not one more when the share is whole (7% of 100 is 7).
func TestPlanPercentRounding(t *testing.T) {
	tests := []struct {
		percent string
		n, want int
	}{
		{"5%", 10, 1}, {"0.1%", 100, 1}, {"33.4%", 3, 2}, {"50%", 3, 2}, {"14%", 50, 7},
	}
	for p := 1; p < 100; p++ {
		tests = append(tests, struct {
			percent string
			n, want int
		}{fmt.Sprintf("%d%%", p), 100, p})
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s of %d", tc.percent, tc.n), func(t *testing.T) {
			specs, err := ParseWaves("canary:" + tc.percent + ",100%")
			require.NoError(t, err)
			waves, _, err := Plan(specs, newTestFleetServices(tc.n))
			require.NoError(t, err)
			require.Len(t, waves[0].Services, tc.want)
		})
	}
}
