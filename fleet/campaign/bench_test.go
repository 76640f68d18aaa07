package campaign

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/pin"
)

// BenchmarkWave100 runs one wave of 100 bumps over generated real git
// repositories (PAVED_CAMPAIGN_BENCH_REPOS overrides the count): for every
// service a clone, the rewrite, a commit, a push of the campaign branch
// and the plain-git change, with the state committed after each, at most
// 10 in flight. "merge" also merges every bump into main (auto-merge).
// ns/service is the cost per repository. Run it with -benchtime=1x: each
// iteration generates a fresh fleet, outside the timer.
func BenchmarkWave100(b *testing.B) {
	n := 100
	if v := os.Getenv("PAVED_CAMPAIGN_BENCH_REPOS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("PAVED_CAMPAIGN_BENCH_REPOS=%q: want a positive number", v)
		}
	}
	for _, merge := range []bool{false, true} {
		name := "open"
		if merge {
			name = "merge"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			waves, err := ParseWaves("100%")
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tf := newTestFleet(b, n)
				e := New(tf.store())
				c, err := e.Start(ctx, Spec{
					Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: tf.services, Waves: waves,
					MaxInFlight: 10, Health: Health{Ratio: 1, Window: Duration(time.Hour)},
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: merge})
				if err != nil {
					b.Fatal(err)
				}
				want := Opened
				if merge {
					want = Merged
				}
				for _, s := range c.Services {
					if s.Status != want {
						b.Fatalf("%s: %s, want %s", s.Name, s.Status, want)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/service")
		})
	}
}
