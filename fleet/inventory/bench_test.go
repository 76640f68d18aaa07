package inventory

import (
	"context"
	"os"
	"strconv"
	"testing"
)

// benchRepos is the fleet size of BenchmarkInventory: PAVED_FLEET_BENCH_REPOS
// (default 100; the target is 1000).
func benchRepos(b *testing.B) int {
	n := 100
	if v := os.Getenv("PAVED_FLEET_BENCH_REPOS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("PAVED_FLEET_BENCH_REPOS=%q: want a positive number", v)
		}
	}
	return n
}

// BenchmarkInventory reads a generated fleet of real git repositories and
// its GitOps repository (no registry). cold fetches every repository into
// an empty cache; warm fetches into the cache the previous run left, as a
// nightly inventory does. ns/repo is the cost per repository.
func BenchmarkInventory(b *testing.B) {
	n := benchRepos(b)
	tf := newTestFleet(b, n, false)
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			inv, err := Run(ctx, tf.fleet, WithCacheDir(b.TempDir()), WithoutRegistry())
			if err != nil || len(inv.Services) != n {
				b.Fatalf("inventory: %v", err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/repo")
	})
	b.Run("warm", func(b *testing.B) {
		cache := b.TempDir()
		if _, err := Run(ctx, tf.fleet, WithCacheDir(cache), WithoutRegistry()); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := Run(ctx, tf.fleet, WithCacheDir(cache), WithoutRegistry()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/repo")
	})
}
