package offline

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// randomWorkload draws a skewed, bursty trace with load times comparable
// to the gaps between requests, so that delayed hits occur.
func randomWorkload(seed uint64, models, requests int) *sim.Workload {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := &sim.Workload{}
	for i := range models {
		w.Models = append(w.Models, profile.Model{
			Name:      string(rune('a' + i)),
			SizeBytes: 1 + rng.Int64N(20),
			LoadTime:  time.Duration(1+rng.Int64N(2000)) * time.Millisecond,
		})
	}
	var now time.Duration
	for range requests {
		now += time.Duration(rng.ExpFloat64() * float64(50*time.Millisecond))
		k := int32(min(rng.ExpFloat64()*float64(models)/5, float64(models-1)))
		w.Requests = append(w.Requests, trace.Request{Time: now, Model: k})
	}
	return w
}

// TestBoundBelowEverything: on seeded random traces the lower bound never
// exceeds the cost of any online policy (without preloading) or of any
// offline schedule, and every offline schedule stays within capacity.
func TestBoundBelowEverything(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		w := randomWorkload(seed, 30, 3000)
		for _, frac := range []int64{10, 4, 2} {
			capBytes := w.TotalBytes() / frac
			bound := LowerBound(w, capBytes).TotalLoadDelay
			if bound <= 0 {
				t.Fatalf("seed %d 1/%d: bound %v is not positive", seed, frac, bound)
			}
			for _, opts := range []sim.Options{{}, {InstantLoads: true}} {
				for _, p := range policiesFor(t, w) {
					if got := sim.Run(w, p, capBytes, opts).TotalLoadDelay; got < bound {
						t.Errorf("seed %d 1/%d %+v: %s costs %v, below the bound %v", seed, frac, opts, p.Name(), got, bound)
					}
				}
				r := newReuseFor(w, opts)
				for _, o := range []policy.Policy{newBelady(r), newCostBelady(r), newPFOO(r, capBytes), newLookahead(r, time.Second), newLookahead(r, time.Minute),
					newLookaheadKnapsack(r, capBytes, time.Minute, 5*time.Second)} {
					got := sim.Run(w, checked(t, o, w, capBytes), capBytes, opts).TotalLoadDelay
					if got < bound {
						t.Errorf("seed %d 1/%d %+v: %s costs %v, below the bound %v", seed, frac, opts, o.Name(), got, bound)
					}
				}
			}
			r := newReuse(w)
			if err := planPFOO(r, capBytes).check(r, capBytes); err != nil {
				t.Errorf("seed %d 1/%d: %v", seed, frac, err)
			}
			if f := Feasible(w, capBytes).TotalLoadDelay; f < bound {
				t.Errorf("seed %d 1/%d: feasible %v below bound %v", seed, frac, f, bound)
			}
		}
	}
}

// policiesFor returns every registered policy, with EdgeServe's
// preloading off: the bound covers demand loading only.
func policiesFor(t *testing.T, w *sim.Workload) []policy.Policy {
	t.Helper()
	var out []policy.Policy
	for _, name := range policy.Names() {
		if name == "edgeserve" {
			continue
		}
		p, err := policy.New(name, w.Entries())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	cfg := policy.DefaultEdgeServeConfig()
	cfg.Preload = false
	es, err := policy.NewEdgeServe(cfg, w.Entries())
	if err != nil {
		t.Fatal(err)
	}
	return append(out, es)
}

// TestOracleReplayedOnOtherWorkload: an offline schedule fed another
// trace is a programming error and says so.
func TestOracleReplayedOnOtherWorkload(t *testing.T) {
	w := workload(time.Second, [][2]int64{{1, 1}, {1, 1}}, mA, mB)
	b := newBelady(newReuse(w))
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a request the oracle did not expect")
		}
	}()
	b.OnAccess(policy.Entry{Key: policy.Key(mB)}, 0, false)
}
