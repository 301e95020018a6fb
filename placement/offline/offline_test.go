package offline

import (
	"errors"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// workload builds a trace over models given as (size, load seconds), one
// request every step.
func workload(step time.Duration, models [][2]int64, keys ...int32) *sim.Workload {
	w := &sim.Workload{}
	for i, m := range models {
		w.Models = append(w.Models, profile.Model{Name: string(rune('A' + i)), SizeBytes: m[0], LoadTime: time.Duration(m[1]) * time.Second})
	}
	for i, k := range keys {
		w.Requests = append(w.Requests, trace.Request{Time: time.Duration(i) * step, Model: k})
	}
	return w
}

const (
	mA int32 = iota
	mB
	mC
)

func TestHandTraces(t *testing.T) {
	unit := [][2]int64{{1, 1}, {1, 1}, {1, 1}}
	// A costs 1 s, B 10 s, C 1 s, all one byte.
	costly := [][2]int64{{1, 1}, {1, 10}, {1, 1}}
	tests := []struct {
		name     string
		run      func(*sim.Workload, int64) sim.Result
		models   [][2]int64
		keys     []int32
		capBytes int64
		loads    int
		delay    time.Duration
	}{
		// At C, A and B come back before C does: C is bypassed.
		{"belady bypasses", Belady, unit, []int32{mA, mB, mC, mA, mB}, 2, 3, 3 * time.Second},
		// At C (next at 4), B (next at 5) is farthest: evicted; B misses later.
		{"belady evicts farthest", Belady, unit, []int32{mA, mB, mC, mA, mC, mB}, 2, 4, 4 * time.Second},
		// At C: Belady evicts B (farthest) and pays B's 10 s again.
		{"belady ignores cost", Belady, costly, []int32{mA, mB, mC, mC, mA, mB}, 2, 4, 22 * time.Second},
		// Cost per byte-second at C (t=200 s): A 1/200, B 10/300, C 1/100:
		// A goes and costs 1 s again instead of B's 10 s.
		{"cost-belady weighs cost", CostBelady, costly, []int32{mA, mB, mC, mC, mA, mB}, 2, 4, 13 * time.Second},
		// PFOO-U keeps B (10 s per 400 byte-s) and C (1/100) over A (1/400).
		{"pfoo-u keeps densest intervals", PFOOU, costly, []int32{mA, mB, mC, mC, mA, mB}, 2, 4, 13 * time.Second},
		{"feasible is the cheapest", Feasible, costly, []int32{mA, mB, mC, mC, mA, mB}, 2, 4, 13 * time.Second},
		// At C (t=200 s) A and B each have one request in the next 250 s,
		// C none: C saves less than either would lose, so it is bypassed.
		{"lookahead bypasses", lookaheadOver(250 * time.Second), unit, []int32{mA, mB, mC, mA, mB}, 2, 3, 3 * time.Second},
		// A costs 10 s, B 1 s; one byte of cache. At B (t=100 s) A has three
		// requests within 1000 s and B one more: B is bypassed twice (12 s in
		// all), where Belady evicts A, whose next request is farther, and
		// pays for it again (21 s).
		{"lookahead counts upcoming requests", lookaheadOver(1000 * time.Second), [][2]int64{{1, 10}, {1, 1}}, []int32{mA, mB, mB, mA, mA, mA}, 1, 3, 12 * time.Second},
		{"belady looks at the next request only", Belady, [][2]int64{{1, 10}, {1, 1}}, []int32{mA, mB, mB, mA, mA, mA}, 1, 3, 21 * time.Second},
		// With a 50 s window nothing is upcoming at B: admitting costs
		// nothing that the window sees, so A is evicted as by Belady.
		{"lookahead sees only its window", lookaheadOver(50 * time.Second), [][2]int64{{1, 10}, {1, 1}}, []int32{mA, mB, mB, mA, mA, mA}, 1, 3, 21 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := workload(100*time.Second, tc.models, tc.keys...)
			r := tc.run(w, tc.capBytes)
			if r.Loads != tc.loads || r.TotalLoadDelay != tc.delay {
				t.Fatalf("%s: %d loads, %v delay; want %d, %v", r.Policy, r.Loads, r.TotalLoadDelay, tc.loads, tc.delay)
			}
		})
	}
}

func lookaheadOver(window time.Duration) func(*sim.Workload, int64) sim.Result {
	return func(w *sim.Workload, capBytes int64) sim.Result { return Lookahead(w, capBytes, window) }
}

// TestInstantLoads: A B A with loads of 10 s and requests 1 s apart, two
// bytes of cache, so every schedule keeps both. Charged as a node sees
// it, the second A finds A still loading: a delayed hit that waits 8 s
// (28 s in all). With instant loads it is a plain hit (20 s).
func TestInstantLoads(t *testing.T) {
	w := workload(time.Second, [][2]int64{{1, 10}, {1, 10}}, mA, mB, mA)
	for _, name := range Names() {
		delayed, err := Run(name, w, 2, sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		instant, err := Run(name, w, 2, sim.Options{InstantLoads: true})
		if err != nil {
			t.Fatal(err)
		}
		if name == "lower-bound" {
			// 30 s of loads; A's interval (2 byte-s of 4) saves 10 s.
			if delayed.TotalLoadDelay != 20*time.Second || instant.TotalLoadDelay != 20*time.Second {
				t.Errorf("lower bound: %v and %v, want 20s for both", delayed.TotalLoadDelay, instant.TotalLoadDelay)
			}
			continue
		}
		if delayed.TotalLoadDelay != 28*time.Second || delayed.DelayedHits != 1 {
			t.Errorf("%s delayed: %v with %d delayed hits, want 28s and 1", name, delayed.TotalLoadDelay, delayed.DelayedHits)
		}
		if instant.TotalLoadDelay != 20*time.Second || instant.Hits != 1 {
			t.Errorf("%s instant: %v with %d hits, want 20s and 1", name, instant.TotalLoadDelay, instant.Hits)
		}
	}
	if f := FeasibleWith(w, 2, sim.Options{InstantLoads: true}); f.TotalLoadDelay != 20*time.Second {
		t.Errorf("FeasibleWith instant: %v, want 20s", f.TotalLoadDelay)
	}
	if _, err := Run("fifo", w, 2, sim.Options{}); !errors.Is(err, ErrUnknown) {
		t.Errorf("Run(fifo) = %v, want ErrUnknown", err)
	}
}

// TestLowerBoundHand: A B A B one second apart, unit sizes and costs, one
// byte of cache. Intervals A[0,2] and B[1,3] take 2 byte-seconds each of
// the 3 available: one whole and half of the other are saved, so the
// bound is 4 - 1.5 = 2.5 s; the best schedule keeps one: 3 s.
func TestLowerBoundHand(t *testing.T) {
	w := workload(time.Second, [][2]int64{{1, 1}, {1, 1}}, mA, mB, mA, mB)
	if got := LowerBound(w, 1).TotalLoadDelay; got != 2500*time.Millisecond {
		t.Fatalf("LowerBound = %v, want 2.5s", got)
	}
	// The loads are 1 s and requests 1 s apart, so no delayed hits.
	if got := Feasible(w, 1).TotalLoadDelay; got != 3*time.Second {
		t.Fatalf("Feasible = %v, want 3s", got)
	}
}

func TestPlanCheck(t *testing.T) {
	w := workload(time.Second, [][2]int64{{2, 1}, {2, 1}}, mA, mB, mA, mB)
	r := newReuse(w)
	tests := []struct {
		name string
		keep plan
		cap  int64
		ok   bool
	}{
		{"both fit", plan{true, true, false, false}, 4, true},
		{"overlap exceeds", plan{true, true, false, false}, 3, false},
		{"one fits", plan{true, false, false, false}, 2, true},
		{"kept without next", plan{false, false, true, false}, 4, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.keep.check(r, tc.cap)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInfeasible)) {
				t.Fatalf("check = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// occupancyChecker follows a schedule's inserts and removals and fails the
// test if the resident models ever exceed the capacity.
type occupancyChecker struct {
	policy.Policy
	t        *testing.T
	size     []int64
	resident []bool
	used     int64
	capBytes int64
}

func (c *occupancyChecker) OnInsert(e policy.Entry, now time.Duration) {
	if c.resident[e.Key] {
		c.t.Fatalf("%s: model %d inserted twice", c.Name(), e.Key)
	}
	c.resident[e.Key] = true
	if c.used += c.size[e.Key]; c.used > c.capBytes {
		c.t.Fatalf("%s: %d bytes resident of %d at %v", c.Name(), c.used, c.capBytes, now)
	}
	c.Policy.OnInsert(e, now)
}

func (c *occupancyChecker) OnRemove(k policy.Key) {
	c.resident[k] = false
	c.used -= c.size[k]
	c.Policy.OnRemove(k)
}

func checked(t *testing.T, p policy.Policy, w *sim.Workload, capBytes int64) policy.Policy {
	r := newReuse(w)
	return &occupancyChecker{Policy: p, t: t, size: r.size, resident: make([]bool, len(r.size)), capBytes: capBytes}
}
