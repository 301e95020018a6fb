package sim_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/offline"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// randomWorkload has skewed popularity, varied sizes and instantaneous
// loads, so that a policy's hits depend only on its eviction order.
func randomWorkload(seed uint64, models, requests int) *sim.Workload {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &sim.Workload{Models: make([]profile.Model, models), Requests: make([]trace.Request, requests)}
	for i := range w.Models {
		w.Models[i] = profile.Model{Name: "m", SizeBytes: 1 + rng.Int64N(100)}
	}
	for i := range w.Requests {
		m := int32(rng.IntN(models) * rng.IntN(models) / models)
		w.Requests[i] = trace.Request{Time: time.Duration(i) * time.Millisecond, Model: m}
	}
	return w
}

// naiveHits replays w with a cache that evicts, one model at a time, the
// resident model with the smallest priority until the new one fits.
// priority sees each model's request count and last request index.
func naiveHits(w *sim.Workload, capacity int64, priority func(count, last int) [2]int) int {
	count := make([]int, len(w.Models))
	last := make([]int, len(w.Models))
	resident := map[int32]bool{}
	var used int64
	hits := 0
	for i, r := range w.Requests {
		count[r.Model]++
		last[r.Model] = i
		if resident[r.Model] {
			hits++
			continue
		}
		size := w.Models[r.Model].SizeBytes
		if size > capacity {
			continue
		}
		for used+size > capacity {
			victim, best := int32(-1), [2]int{}
			for m := range resident {
				p := priority(count[m], last[m])
				if victim < 0 || p[0] < best[0] || (p[0] == best[0] && p[1] < best[1]) {
					victim, best = m, p
				}
			}
			delete(resident, victim)
			used -= w.Models[victim].SizeBytes
		}
		resident[r.Model] = true
		used += size
	}
	return hits
}

// TestPoliciesMatchNaive checks the engine driving the policy package's
// LRU and LFU against direct re-implementations.
func TestPoliciesMatchNaive(t *testing.T) {
	w := randomWorkload(3, 40, 4000)
	priorities := map[string]func(count, last int) [2]int{
		"lru": func(_, last int) [2]int { return [2]int{last, 0} },
		"lfu": func(count, last int) [2]int { return [2]int{count, last} },
	}
	for name, prio := range priorities {
		for _, capacity := range []int64{60, 200, 500, 1200} {
			p, err := policy.New(name, w.Entries())
			if err != nil {
				t.Fatal(err)
			}
			got := sim.Run(w, p, capacity, sim.Options{})
			if want := naiveHits(w, capacity, prio); got.Hits != want {
				t.Errorf("%s at %d bytes: %d hits, naive %d", name, capacity, got.Hits, want)
			}
		}
	}
}

// TestLowerBoundBoundsDemandPolicies replays every registered policy on a
// synthetic workload with real load times and checks the accounting and
// that none beats the offline lower bound unless it preloads.
func TestLowerBoundBoundsDemandPolicies(t *testing.T) {
	cfg := trace.DefaultSyntheticConfig()
	cfg.Duration, cfg.Models, cfg.RatePerSecond = 20*time.Minute, 30, 5
	tr, err := trace.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.MapRoundRobin(tr, profile.Poster(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range []float64{0.1, 0.3} {
		capacity := int64(frac * float64(w.TotalBytes()))
		bound := offline.LowerBound(w, capacity).TotalLoadDelay
		feasible := offline.Feasible(w, capacity).TotalLoadDelay
		if bound > feasible {
			t.Errorf("capacity %v: lower bound %v above the feasible schedule %v", frac, bound, feasible)
		}
		for _, name := range policy.Names() {
			p, err := policy.New(name, w.Entries())
			if err != nil {
				t.Fatal(err)
			}
			_, preloads := p.(sim.Preloader)
			r := sim.Run(w, p, capacity, sim.Options{})
			if r.Requests != len(w.Requests) || r.Hits+r.DelayedHits+r.Loads != r.Requests {
				t.Errorf("%s at %v: %+v does not add up", name, frac, r)
			}
			if !preloads && r.TotalLoadDelay < bound {
				t.Errorf("%s at %v: total delay %v beats the lower bound %v", name, frac, r.TotalLoadDelay, bound)
			}
		}
	}
}
