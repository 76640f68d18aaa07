package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-dev/paved/fleet/campaign/rewrite"
	"github.com/paved-dev/paved/fleet/fleettest"
	"github.com/paved-dev/paved/fleet/pin"
	"github.com/paved-dev/paved/pipelines/failure"
)

// crashingStore plays a process that dies when crash says so: the write
// is lost, as if the process stopped before it.
type crashingStore struct {
	Store
	mu    sync.Mutex
	crash func(t *Transition) bool
}

var errCrash = errors.New("crashed")

func (s *crashingStore) Update(ctx context.Context, id string, t *Transition, fn func(*Campaign) error) (*Campaign, error) {
	s.mu.Lock()
	crash := s.crash(t)
	s.mu.Unlock()
	if crash {
		return nil, errCrash
	}
	return s.Store.Update(ctx, id, t, fn)
}

func startPaved(t *testing.T, e *Engine, tf *testFleet, waves string) *Campaign {
	t.Helper()
	w, err := ParseWaves(waves)
	require.NoError(t, err)
	c, err := e.Start(context.Background(), Spec{
		Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, Services: tf.services, Waves: w,
		MaxInFlight: 3, Health: Health{Ratio: 1, Window: Duration(time.Hour)},
	})
	require.NoError(t, err)
	return c
}

func TestResume(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 6)
	c := startPaved(t, New(tf.store()), tf, "100%")

	// The first process records three bumps, then dies: pushed but not
	// recorded for the fourth (and whatever ran beside it).
	opened := 0
	crashing := &crashingStore{Store: tf.store(), crash: func(t *Transition) bool {
		if t.Action == "opened" {
			opened++
		}
		return opened > 3
	}}
	_, err := New(crashing).Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, errCrash)

	// A fresh process converges.
	c, err = New(tf.store()).Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	for i, r := range tf.repos {
		s := c.Service(tf.services[i].Name)
		require.Equal(t, Merged, s.Status, s.Name)
		require.Equal(t, []string{"main", Branch(c.ID)}, sorted(fleettest.Branches(t, r.Dir)), "one branch")
		branch := fleettest.Log(t, r.Dir, Branch(c.ID))
		require.Equal(t, tf.first[i], branch[1].Hash.String(), "one bump commit on the branch")
		require.Equal(t, s.BumpCommit, branch[0].Hash.String())
		require.Equal(t, 1, countSubjects(t, r.Dir, "chore(paved): move to paved v0.3.0"), "one bump on main")
	}

	// Running it again changes nothing.
	before := fleettest.Tip(t, tf.state.Dir, "main")
	c, err = New(tf.store()).Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.NoError(t, err)
	require.Equal(t, 0, c.Wave)
	require.Len(t, c.Gate().Missing, 6)
	log := fleettest.Log(t, tf.state.Dir, "main")
	require.Equal(t, before, log[1].Hash.String(), "only the health reading was recorded")
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func countSubjects(t *testing.T, dir, subject string) int {
	n := 0
	for _, c := range fleettest.Log(t, dir, "main") {
		if strings.HasPrefix(c.Message, subject) {
			n++
		}
	}
	return n
}

func TestStartRefusesSecondCampaign(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 2)
	e := New(tf.store())
	first := startPaved(t, e, tf, "100%")
	waves, _ := ParseWaves("100%")
	spec := Spec{Target: rewrite.Target{Kind: pin.Paved, To: "v0.4.0"}, Services: tf.services, Waves: waves, MaxInFlight: 1, Health: Health{Ratio: 1, Window: Duration(time.Hour)}}
	_, err := e.Start(ctx, spec)
	require.ErrorIs(t, err, ErrConflict)
	require.Contains(t, err.Error(), `campaign "`+first.ID+`"`)
	require.Equal(t, failure.BadInput, failure.KindOf(err))

	spec.Target.To, spec.ID = "v0.3.0", first.ID
	_, err = e.Start(ctx, spec)
	require.ErrorIs(t, err, ErrExists)

	// Once the first is rolled back, the target is free.
	_, err = e.Rollback(ctx, first.ID, "superseded")
	require.NoError(t, err)
	spec.ID, spec.Target.To = "", "v0.4.0"
	_, err = e.Start(ctx, spec)
	require.NoError(t, err)
	spec.Target = rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}
	_, err = e.Start(ctx, spec)
	require.ErrorIs(t, err, ErrExists, "the id of the rolled-back campaign is taken")
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 1)
	var services []string
	for i := 0; i < 16; i++ {
		services = append(services, fmt.Sprintf("svc-%02d", i))
	}
	c := &Campaign{APIVersion: APIVersion, Kind: Kind, ID: "c1", Target: rewrite.Target{Kind: pin.Paved, To: "v0.3.0"}, State: Running, Wave: -1, Waves: []Wave{{Name: "all", Services: services}}}
	for _, s := range services {
		c.Services = append(c.Services, Service{Name: s, Status: Pending})
	}
	require.NoError(t, tf.store().Create(ctx, c, Transition{Action: "started"}))

	// Two processes (two stores, two clones) and goroutines in each.
	stores := []*GitStore{tf.store(), tf.store()}
	var wg sync.WaitGroup
	for i, name := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := stores[i%2].Update(ctx, "c1", &Transition{Action: "opened", Service: name}, func(c *Campaign) error {
				c.Service(name).Status = Opened
				return nil
			})
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	got, err := tf.store().Load(ctx, "c1")
	require.NoError(t, err)
	for _, s := range got.Services {
		require.Equal(t, Opened, s.Status, s.Name)
	}
}

func TestBadInputPerRepository(t *testing.T) {
	ctx := context.Background()
	tf := newTestFleet(t, 3)
	add := func(name string, files map[string]string) {
		r := fleettest.NewRepo(t, tf.dir+"/repos", name, files)
		tf.services = append(tf.services, serviceOf(name, r.Dir))
	}
	add("no-pin", map[string]string{"README.md": "x\n"})
	add("branch-pin", map[string]string{".github/workflows/ci.yml": "    uses: paved-dev/paved/x.yml@main\n"})
	tf.services = append(tf.services, serviceOf("gone", tf.dir+"/gone.git"))
	c := startPaved(t, New(tf.store()), tf, "100%")

	c, err := New(tf.store()).Advance(ctx, c.ID, AdvanceOptions{AutoMerge: true})
	require.ErrorIs(t, err, ErrHalted, "3 of 6 bumps failed: the gate halts the campaign")
	require.Equal(t, failure.Policy, failure.KindOf(err))
	for _, want := range []struct{ name, text string }{
		{"no-pin", "no paved pin"},
		{"branch-pin", "not a release version"},
		{"gone", "check the repository URL"},
	} {
		s := c.Service(want.name)
		require.Equal(t, Failed, s.Status, want.name)
		require.Contains(t, s.Error, want.text, want.name)
		require.Equal(t, "bad input", s.ErrorKind)
		require.Contains(t, err.Error(), want.name+": ")
	}
	for i := 0; i < 3; i++ {
		require.Equal(t, Merged, c.Service(tf.services[i].Name).Status)
	}
}

func TestWaves(t *testing.T) {
	services := newTestFleetServices(10)
	tests := []struct {
		spec    string
		want    [][]string
		wantErr string
	}{
		{spec: "canary:10%,50%,100%", want: [][]string{{"s0"}, {"s1", "s2", "s3", "s4"}, {"s5", "s6", "s7", "s8", "s9"}}},
		{spec: "canary:s9+s3,tier=1,100%", want: [][]string{{"s3", "s9"}, {"s1", "s5", "s7"}, {"s0", "s2", "s4", "s6", "s8"}}},
		{spec: "canary:5%,100%", want: [][]string{{"s0"}, {"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"}}},
		{spec: "50%", wantErr: "in no wave"},
		{spec: "canary:s1,s1", wantErr: "already in wave"},
		{spec: "canary:nope", wantErr: `no service "nope"`},
		{spec: "10%,5%,100%", wantErr: "gets no service"},
		{spec: "canary:150%", wantErr: "between 0 and 100"},
		{spec: "Canary:5%", wantErr: "wave name"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			specs, err := ParseWaves(tc.spec)
			var waves []Wave
			if err == nil {
				waves, _, err = Plan(specs, services)
			}
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Equal(t, failure.BadInput, failure.KindOf(err))
				return
			}
			require.NoError(t, err)
			var got [][]string
			for _, w := range waves {
				got = append(got, w.Services)
			}
			require.Equal(t, tc.want, got)
		})
	}
}
