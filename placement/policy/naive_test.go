package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/edgeserve/edgeserve/placement/profile"
	"github.com/edgeserve/edgeserve/placement/sim"
	"github.com/edgeserve/edgeserve/placement/trace"
)

// randomWorkload draws a skewed trace over models of random sizes, with
// zero load times so that the simulator has no delayed hits and a naive
// cache can follow it exactly.
func randomWorkload(seed uint64, models, requests int) *sim.Workload {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := &sim.Workload{}
	for i := range models {
		w.Models = append(w.Models, profile.Model{Name: string(rune('a' + i)), SizeBytes: 1 + rng.Int64N(10)})
	}
	for i := range requests {
		k := int32(min(rng.ExpFloat64()*float64(models)/4, float64(models-1)))
		w.Requests = append(w.Requests, trace.Request{Time: time.Duration(i) * time.Millisecond, Model: k})
	}
	return w
}

// naiveHits replays w with a slice-based cache that evicts the resident
// model of smallest rank(count, last use) until the requested one fits;
// counts cover the whole history, the current request included.
func naiveHits(w *sim.Workload, capBytes int64, rank func(count, last int64) [2]int64) int {
	var resident []int32
	var used int64
	count := make([]int64, len(w.Models))
	last := make([]int64, len(w.Models))
	less := func(x, y int32) bool {
		a, b := rank(count[x], last[x]), rank(count[y], last[y])
		return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
	}
	hits := 0
	for i, r := range w.Requests {
		count[r.Model]++
		last[r.Model] = int64(i)
		if slices.Contains(resident, r.Model) {
			hits++
			continue
		}
		size := w.Models[r.Model].SizeBytes
		if size > capBytes {
			continue
		}
		for used+size > capBytes {
			j := 0
			for x := range resident {
				if less(resident[x], resident[j]) {
					j = x
				}
			}
			used -= w.Models[resident[j]].SizeBytes
			resident = slices.Delete(resident, j, j+1)
		}
		resident = append(resident, r.Model)
		used += size
	}
	return hits
}

// TestLRUAndLFUMatchNaive reproduces LRU's and LFU's hit counts with an
// independent implementation on seeded random traces.
func TestLRUAndLFUMatchNaive(t *testing.T) {
	ranks := map[string]func(count, last int64) [2]int64{
		"lru": func(_, last int64) [2]int64 { return [2]int64{last, 0} },
		"lfu": func(count, last int64) [2]int64 { return [2]int64{count, last} },
	}
	for seed := uint64(1); seed <= 5; seed++ {
		w := randomWorkload(seed, 40, 4000)
		for _, frac := range []int64{8, 4, 2} {
			capBytes := w.TotalBytes() / frac
			for name, rank := range ranks {
				want := naiveHits(w, capBytes, rank)
				got := sim.Run(w, mustNew(t, name, w.Entries()), capBytes, sim.Options{})
				if got.Hits != want {
					t.Errorf("seed %d capacity 1/%d %s: %d hits, naive %d", seed, frac, name, got.Hits, want)
				}
				if want == 0 || want == len(w.Requests) {
					t.Errorf("seed %d capacity 1/%d: degenerate trace (%d hits)", seed, frac, want)
				}
			}
		}
	}
}
