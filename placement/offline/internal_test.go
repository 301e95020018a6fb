package offline

import (
	"math/rand/v2"
	"testing"
)

// TestOccupancyMatchesArray checks the segment tree against a plain array.
func TestOccupancyMatchesArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 37
	occ := newOccupancy(n)
	var plain [n]int64
	for step := 0; step < 5000; step++ {
		lo := rng.IntN(n)
		hi := lo + 1 + rng.IntN(n-lo)
		if rng.IntN(2) == 0 {
			v := rng.Int64N(10)
			occ.rangeAdd(lo, hi, v)
			for i := lo; i < hi; i++ {
				plain[i] += v
			}
			continue
		}
		var want int64
		for i := lo; i < hi; i++ {
			want = max(want, plain[i])
		}
		if got := occ.rangeMax(lo, hi); got != want {
			t.Fatalf("step %d: max[%d,%d) = %d, want %d", step, lo, hi, got, want)
		}
	}
}

// TestMissCostMatchesNaive checks the sliding-window delayed-hit costs
// against a direct sum over each miss's load window.
func TestMissCostMatchesNaive(t *testing.T) {
	w := randomWorkload(9, 12, 2000)
	r := newReuse(w)
	for i := range r.n() {
		k := r.model(i)
		l := r.cost[k].Seconds()
		want := l
		for j := r.next[i]; int(j) < r.n() && r.at(int(j)) < r.at(i)+r.cost[k]; j = r.next[j] {
			want += (r.at(i) + r.cost[k] - r.at(int(j))).Seconds()
		}
		if got := r.missCost[i]; got < want-1e-6 || got > want+1e-6 {
			t.Fatalf("request %d: miss cost %v, want %v", i, got, want)
		}
	}
}
