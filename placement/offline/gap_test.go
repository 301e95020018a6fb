package offline

import (
	"errors"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// TestGapHandTrace: on the hand trace of TestHandTraces (A 1 s, B 10 s,
// C 1 s, one byte each, two bytes of cache; A B C C A B a hundred seconds
// apart) LRU pays 23 s (it evicts A at C, B at A and C at B), Belady 22 s
// and the feasible schedule 13 s: Belady closes (23-22)/(23-13) = 10% of
// the gap. Every policy's delay is at least the bound.
func TestGapHandTrace(t *testing.T) {
	costly := [][2]int64{{1, 1}, {1, 10}, {1, 1}}
	w := workload(100*time.Second, costly, mA, mB, mC, mC, mA, mB)
	names := append([]string{"lru", "belady", "cost-belady", "feasible", "lower-bound", "edgeserve" + ServingSuffix}, policy.Names()...)
	for _, opts := range []sim.Options{{}, {InstantLoads: true}} {
		p, err := Gap(w, 2, names, opts)
		if err != nil {
			t.Fatal(err)
		}
		if p.LRU != 23*time.Second || p.Feasible != 13*time.Second || p.Bound > p.Feasible {
			t.Fatalf("instant %v: LRU %v feasible %v bound %v; want 23 s, 13 s, bound at most 13 s", opts.InstantLoads, p.LRU, p.Feasible, p.Bound)
		}
		want := map[string]struct {
			delay  time.Duration
			closed float64
		}{"lru": {23 * time.Second, 0}, "belady": {22 * time.Second, 0.1}, "cost-belady": {13 * time.Second, 1}, "feasible": {13 * time.Second, 1}}
		for _, r := range p.Rows {
			checkRowInvariants(t, p, r)
			if wr, ok := want[r.Policy]; ok && (r.LoadDelay != wr.delay || !near(*r.Closed, wr.closed)) {
				t.Errorf("%s: %v, closed %v; want %v, %v", r.Policy, r.LoadDelay, *r.Closed, wr.delay, wr.closed)
			}
			if r.Policy == "lower-bound" && !near(*r.BoundClosed, 1) {
				t.Errorf("the bound closes %v of its own gap, want 1", *r.BoundClosed)
			}
		}
	}
}

// checkRowInvariants: the bound is below every row, LRU's ratio to itself
// is 1, and the shares agree with the delays.
func checkRowInvariants(t *testing.T, p GapPoint, r GapRow) {
	t.Helper()
	if r.LoadDelay < p.Bound {
		t.Errorf("%s: %v below the bound %v", r.Policy, r.LoadDelay, p.Bound)
	}
	if r.Closed == nil || r.BoundClosed == nil || r.RatioToLRU == nil {
		t.Fatalf("%s: a share is missing: %+v", r.Policy, r)
	}
	if *r.BoundClosed > 1+1e-9 || (r.LoadDelay == p.LRU) != near(*r.Closed, 0) || !near(*r.RatioToLRU, float64(r.LoadDelay)/float64(p.LRU)) {
		t.Errorf("%s: %+v inconsistent with LRU %v", r.Policy, r, p.LRU)
	}
}

// TestGapAllFit: when every model fits, LRU is as good as the offline
// schedules (compulsory misses only) and there is no gap to close.
func TestGapAllFit(t *testing.T) {
	w := workload(100*time.Second, [][2]int64{{1, 1}, {1, 10}, {1, 1}}, mA, mB, mC, mC, mA, mB)
	p, err := Gap(w, 3, []string{"lru", "gdsf"}, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.LRU != 12*time.Second || p.Feasible != 12*time.Second {
		t.Fatalf("LRU %v feasible %v, want 12 s each", p.LRU, p.Feasible)
	}
	for _, r := range p.Rows {
		if r.Closed != nil || !near(*r.RatioToLRU, 1) {
			t.Errorf("%s: %+v; want no gap and LRU's delay", r.Policy, r)
		}
	}
}

func TestGapUnknownPolicy(t *testing.T) {
	w := workload(time.Second, [][2]int64{{1, 1}}, mA)
	if _, err := Gap(w, 1, []string{"nope"}, sim.Options{}); !errors.Is(err, policy.ErrUnknownPolicy) {
		t.Fatalf("unknown policy: %v", err)
	}
	if _, err := Gap(w, 1, []string{"nope" + ServingSuffix}, sim.Options{}); !errors.Is(err, policy.ErrUnknownPolicy) {
		t.Fatalf("unknown serving policy: %v", err)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
