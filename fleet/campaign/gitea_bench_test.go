//go:build forge

package campaign

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/forge"
	"github.com/paved-dev/paved/fleet/forge/gitea"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/internal/giteatest"
	"github.com/paved-dev/paved/pipelines/failure"
)

// BenchmarkWaveGitea runs one wave of 100 services (PAVED_CAMPAIGN_BENCH_REPOS
// overrides the count) through a real Gitea on loopback: for every service
// the clone, bump and push, the pull request opened and merged through the
// API (advance --auto-merge, again while Gitea still checks mergeability),
// then CI's commit status posted on the merge commit and the health gate
// reading it, at most 10 in flight. ns/service is the cost per repository,
// next to BenchmarkWave100/merge's plain-git figure. Run it with
// -benchtime=1x: each iteration makes a fresh organisation, outside the
// timer.
func BenchmarkWaveGitea(b *testing.B) {
	n := 100
	if v := os.Getenv("PAVED_CAMPAIGN_BENCH_REPOS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("PAVED_CAMPAIGN_BENCH_REPOS=%q: want a positive number", v)
		}
	}
	ctx := context.Background()
	srv := giteatest.Start(b)
	g, err := gitea.New(srv.API, srv.Token, forge.WithRetry(2, time.Millisecond, time.Second))
	if err != nil {
		b.Fatal(err)
	}
	waves, err := ParseWaves("100%")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		org := fmt.Sprintf("bench%d", i)
		srv.CreateOrg(b, org)
		for j := 0; j < n; j++ {
			name := fmt.Sprintf("svc-%03d", j)
			srv.CreateRepo(b, org, name)
			srv.CommitFile(b, org, name, "main", ".github/workflows/paved.yml", oldWorkflow)
		}
		services, err := g.Repositories(ctx, org)
		if err != nil {
			b.Fatal(err)
		}
		e := New(newTestFleet(b, 0).store(), WithChanges(g), WithGitAuth(&githttp.BasicAuth{Username: giteatest.Admin, Password: srv.Token}))
		c, err := e.Start(ctx, Spec{Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: services, Waves: waves,
			MaxInFlight: 10, Health: Health{Ratio: 1, Window: Duration(time.Hour), Check: "paved"}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c = benchMergeAll(b, e, c.ID)
		for _, s := range c.Services {
			srv.Status(b, org, s.Name, s.Change.MergeCommit, "paved", "success", "")
		}
		if c, err = e.Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true}); err != nil || c.State != Done {
			b.Fatalf("the wave did not pass: %v (%s)", err, c.State)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/service")
}

// benchMergeAll advances until every service is merged; Gitea refuses to
// merge a pull request it is still checking (transient), so it takes a
// few advances.
func benchMergeAll(b *testing.B, e *Engine, id string) *Campaign {
	for try := 0; try < 50; try++ {
		c, err := e.Advance(context.Background(), id, AdvanceOptions{AutoMerge: true})
		if err != nil && failure.KindOf(err) != failure.Transient {
			b.Fatal(err)
		}
		if len(c.Gate().Unsettled) == 0 && c.Gate().Merged == len(c.Services) {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatal("the wave did not merge in 50 advances")
	return nil
}
