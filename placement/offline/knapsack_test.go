package offline

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// TestLookaheadKnapsackKeepsTheBetterSet: X (3 bytes, 7 s) is worth more
// per byte than Y and Z (2 bytes, 4 s each), but Y and Z together save
// more than X in 4 bytes. Requests X Y Z repeat every 100 s; the window
// (1000 s) sees X three times, Y three or four and Z four. The knapsack
// keeps Y and Z and bypasses X (7 s + 4 + 4 + three more X: 36 s);
// Lookahead, ranking per byte, keeps X and bypasses Y and Z (7 + 4 x 4 +
// 4 x 4: 39 s).
func TestLookaheadKnapsackKeepsTheBetterSet(t *testing.T) {
	var keys []int32
	for range 4 {
		keys = append(keys, mA, mB, mC)
	}
	w := workload(100*time.Second, [][2]int64{{3, 7}, {2, 4}, {2, 4}}, keys...)
	ks := LookaheadKnapsack(w, 4, 1000*time.Second, 5*time.Second)
	if ks.TotalLoadDelay != 36*time.Second || ks.Hits != 6 {
		t.Fatalf("%s: %v delay, %d hits; want 36s, 6 hits (Y and Z kept)", ks.Policy, ks.TotalLoadDelay, ks.Hits)
	}
	if la := Lookahead(w, 4, 1000*time.Second); la.TotalLoadDelay != 39*time.Second {
		t.Fatalf("lookahead: %v; want 39s (X kept)", la.TotalLoadDelay)
	}
}

// TestKnapsackExactMatchesBruteForce: the dynamic program's set is worth
// what the best of all subsets that fit is worth, on random sizes that are
// whole units (no rounding), and fits.
func TestKnapsackExactMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 0))
	for trial := range 200 {
		n := 1 + rng.IntN(12)
		models := make([][2]int64, n)
		for i := range models {
			models[i] = [2]int64{1 + rng.Int64N(40), 1}
		}
		capBytes := 1 + rng.Int64N(120)
		l := newLookaheadKnapsack(newReuse(workload(time.Second, models, 0)), capBytes, time.Minute, time.Second)
		l.items, l.vals = l.items[:0], l.vals[:0]
		for k := range n {
			if models[k][0] <= capBytes {
				l.items = append(l.items, int32(k))
				l.vals = append(l.vals, float64(1+rng.IntN(100)))
			}
		}
		l.exact()
		var got float64
		var used int64
		for i, k := range l.items {
			if l.in[k] {
				got += l.vals[i]
				used += models[k][0]
			}
		}
		var want float64
		for mask := 0; mask < 1<<len(l.items); mask++ {
			var v float64
			var s int64
			for i, k := range l.items {
				if mask&(1<<i) != 0 {
					v += l.vals[i]
					s += models[k][0]
				}
			}
			if s <= capBytes && v > want {
				want = v
			}
		}
		if got != want || used > capBytes {
			t.Fatalf("trial %d: the set is worth %v in %d of %d bytes; the best subset %v", trial, got, used, capBytes, want)
		}
	}
}

// TestLookaheadKnapsackGreedyBeyondTheExactLimit: with more candidate
// models than the exact search takes, the set is the greedy one and still
// fits.
func TestLookaheadKnapsackGreedyBeyondTheExactLimit(t *testing.T) {
	w := randomWorkload(3, knapsackExactItems+20, 4000)
	capBytes := w.TotalBytes() / 4
	r := newReuse(w)
	l := newLookaheadKnapsack(r, capBytes, time.Hour, time.Second)
	l.cur = 0
	l.choose()
	var used int64
	for k, in := range l.in {
		if in {
			used += r.size[k]
		}
	}
	if used == 0 || used > capBytes {
		t.Fatalf("greedy set takes %d of %d bytes", used, capBytes)
	}
	res := sim.Run(w, checked(t, newLookaheadKnapsack(r, capBytes, time.Minute, 5*time.Second), w, capBytes), capBytes, sim.Options{})
	if res.Requests != len(w.Requests) {
		t.Fatalf("replayed %d of %d requests", res.Requests, len(w.Requests))
	}
}
