package policy

import (
	"math/rand/v2"
	"testing"
)

// knapsackFor solves one instance and returns the chosen set's value and
// size.
func knapsackFor(ks *knapsack, values []float64, sizes []int64, capBytes int64) (float64, int64) {
	ks.order = ks.order[:0]
	for k := range values {
		ks.value[k], ks.size[k] = values[k], sizes[k]
		ks.order = append(ks.order, Key(k))
	}
	ks.solve(capBytes)
	var v float64
	var sz int64
	for k, in := range ks.in {
		if in {
			v += values[k]
			sz += sizes[k]
		}
	}
	return v, sz
}

// TestKnapsackExact: on random instances small enough for the node cap
// (10 models: at most 2^11 nodes), the set is the best one by brute force.
func TestKnapsackExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 10
	ks := newKnapsack(n, 1)
	values, sizes := make([]float64, n), make([]int64, n)
	for trial := range 500 {
		for k := range n {
			values[k], sizes[k] = rng.Float64()*10, 1+rng.Int64N(100)
		}
		capBytes := 1 + rng.Int64N(400)
		best := 0.0
		for set := range 1 << n {
			var v float64
			var sz int64
			for k := range n {
				if set&(1<<k) != 0 {
					v, sz = v+values[k], sz+sizes[k]
				}
			}
			if sz <= capBytes && v > best {
				best = v
			}
		}
		got, sz := knapsackFor(ks, values, sizes, capBytes)
		if sz > capBytes || got < best-1e-9 {
			t.Fatalf("trial %d: set worth %v in %d of %d bytes, best is %v", trial, got, sz, capBytes, best)
		}
	}
}

// TestKnapsackBeatsGreedy: the set the utilities' order (savings per
// byte) would fill, A, leaves room that neither B nor C fits in; B and C
// together are worth more.
func TestKnapsackBeatsGreedy(t *testing.T) {
	ks := newKnapsack(3, 1)
	got, _ := knapsackFor(ks, []float64{7, 5, 5}, []int64{6, 5, 5}, 10)
	if got != 10 || ks.in[0] || !ks.in[1] || !ks.in[2] {
		t.Fatalf("chose %v worth %v, want B and C worth 10", ks.in, got)
	}
}

// TestKnapsackNodeCap: with many models the search stops at its node cap
// and still returns a set that fits, worth at least the greedy fill's.
func TestKnapsackNodeCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 64
	ks := newKnapsack(n, 1)
	values, sizes := make([]float64, n), make([]int64, n)
	for k := range n {
		values[k], sizes[k] = 1+rng.Float64(), 50+rng.Int64N(50)
	}
	const capBytes = 1000
	got, sz := knapsackFor(ks, values, sizes, capBytes)
	if ks.nodes > knapsackNodes+1 {
		t.Errorf("searched %d nodes, cap %d", ks.nodes, knapsackNodes)
	}
	// The greedy fill in the search's order.
	var greedy float64
	room := int64(capBytes)
	for _, k := range ks.order {
		if sizes[k] <= room {
			room -= sizes[k]
			greedy += values[k]
		}
	}
	if sz > capBytes || got < greedy {
		t.Fatalf("set worth %v in %d of %d bytes; greedy fill worth %v", got, sz, capBytes, greedy)
	}
}
