package gitremote

import "time"

// Waits returns the first n waits of b's schedule, for tests.
func (b Backoff) Waits(n int) []time.Duration {
	e := b.exponential()
	e.Reset()
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = e.NextBackOff()
	}
	return out
}
