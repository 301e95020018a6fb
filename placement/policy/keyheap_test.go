package policy

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKeyHeapMatchesSort drives the indexed heap with random sets,
// removals and pops and checks every pop against a sorted model.
func TestKeyHeapMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 64
	h := newKeyHeap(n)
	prio := map[Key]float64{}
	for step := 0; step < 20000; step++ {
		k := Key(rng.IntN(n))
		switch op := rng.IntN(4); {
		case op < 2:
			p := float64(rng.IntN(20))
			h.set(k, p, int64(k))
			prio[k] = p
		case op == 2:
			h.remove(k)
			delete(prio, k)
		case h.Len() > 0:
			want := minKey(prio)
			if got := h.pop(); got != want {
				t.Fatalf("step %d: pop %d (prio %v), want %d (prio %v)", step, got, h.prio[got], want, prio[want])
			}
			delete(prio, want)
		}
		if h.Len() != len(prio) {
			t.Fatalf("step %d: heap holds %d, want %d", step, h.Len(), len(prio))
		}
	}
}

func minKey(prio map[Key]float64) Key {
	keys := make([]Key, 0, len(prio))
	for k := range prio {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		if prio[a] != prio[b] {
			if prio[a] < prio[b] {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	return keys[0]
}
