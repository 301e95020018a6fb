package policy

import (
	"slices"
	"time"
)

// knapsack chooses, where the models are few, which of them to keep as a
// 0/1 knapsack does: the set whose expected savings (rate x miss cost) are
// largest among those that fit in the capacity. Evicting the least useful
// models per byte first, as the utilities do, is the fractional knapsack's
// greedy choice; with few models of very different sizes it can keep a
// set that leaves room no other model fits in, or never trade one large
// model for several smaller ones worth more together. The set is chosen
// again every interval, from the policy's own estimates at that instant,
// by a depth-first search over the models in order of savings per byte,
// cut by the fractional bound and capped at knapsackNodes nodes (the best
// set found so far is kept; the greedy set is the first one found).
//
// It is one more configuration the shadows score (shadow.go): its shadow
// declines, when room must be made, a missed model outside the set and
// evicts models outside the set first; when that shadow is the cheapest,
// the policy does the same (Victims) and preloads the set's models that
// fit in free memory (Preload). It runs only where the shadows follow
// every model (at most sampleTarget), since the set is chosen over all of
// them in the full capacity.
type knapsack struct {
	every, next time.Duration
	// in marks the chosen set; changed says it changed since Preload last
	// looked.
	in      []bool
	changed bool
	// Scratch, reused at every choice: the candidates in order of savings
	// per byte, their savings and sizes, the search's current and best sets.
	order      []Key
	value      []float64
	size       []int64
	cur, best  []bool
	bestValue  float64
	nodes      int
	suffixSize []int64
	suffixVal  []float64
	// notIn is evictable restricted to models outside the set, built once.
	notIn     func(Key) bool
	evictable func(Key) bool
}

// knapsackNodes caps the search's nodes per choice: 2^12, so that with 64
// models a choice costs a few tens of microseconds.
const knapsackNodes = 1 << 12

func newKnapsack(n int, every time.Duration) *knapsack {
	ks := &knapsack{every: every, in: make([]bool, n), value: make([]float64, n), size: make([]int64, n),
		cur: make([]bool, n), best: make([]bool, n), suffixSize: make([]int64, n+1), suffixVal: make([]float64, n+1)}
	ks.notIn = func(k Key) bool { return !ks.in[k] && (ks.evictable == nil || ks.evictable(k)) }
	return ks
}

// ready says a set has been chosen (the capacity is known).
func (ks *knapsack) ready() bool { return ks != nil && ks.next > 0 }

// restrict returns evictable limited to models outside the set.
func (ks *knapsack) restrict(evictable func(Key) bool) func(Key) bool {
	ks.evictable = evictable
	return ks.notIn
}

// update chooses the set again if an interval has passed since the last
// choice and the capacity (capBytes) is known.
func (ks *knapsack) update(p *EdgeServe, now time.Duration, capBytes int64) {
	if capBytes <= 0 || (ks.next > 0 && now < ks.next) {
		return
	}
	ks.next = now + ks.every
	if ks.next <= 0 {
		ks.next = 1
	}
	ks.order = ks.order[:0]
	for k := range ks.in {
		key := Key(k)
		v := p.expected(key, now)
		if !(v > 0) || p.t.size[k] > capBytes {
			continue
		}
		ks.value[k], ks.size[k] = v, max(p.t.size[k], 1)
		ks.order = append(ks.order, key)
	}
	ks.solve(capBytes)
}

// solve chooses the set among the candidates in order (their values and
// sizes filled in) for capBytes.
func (ks *knapsack) solve(capBytes int64) {
	slices.SortFunc(ks.order, func(a, b Key) int {
		// Descending savings per byte, by cross-multiplication.
		da, db := ks.value[a]*float64(ks.size[b]), ks.value[b]*float64(ks.size[a])
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return int(a) - int(b)
	})
	m := len(ks.order)
	ks.suffixSize[m], ks.suffixVal[m] = 0, 0
	for i := m - 1; i >= 0; i-- {
		k := ks.order[i]
		ks.suffixSize[i] = ks.suffixSize[i+1] + ks.size[k]
		ks.suffixVal[i] = ks.suffixVal[i+1] + ks.value[k]
	}
	clear(ks.cur)
	clear(ks.best)
	ks.bestValue, ks.nodes = -1, 0
	ks.search(0, capBytes, 0)
	for k := range ks.in {
		if ks.in[k] != ks.best[k] {
			ks.in[k], ks.changed = ks.best[k], true
		}
	}
}

// search extends the current set with the candidates from order[i] on,
// in room bytes, the current set being worth val.
func (ks *knapsack) search(i int, room int64, val float64) {
	ks.nodes++
	if val > ks.bestValue {
		ks.bestValue = val
		copy(ks.best, ks.cur)
	}
	if i == len(ks.order) || ks.nodes > knapsackNodes {
		return
	}
	// Everything left fits: take it all.
	if ks.suffixSize[i] <= room {
		if v := val + ks.suffixVal[i]; v > ks.bestValue {
			ks.bestValue = v
			copy(ks.best, ks.cur)
			for _, k := range ks.order[i:] {
				ks.best[k] = true
			}
		}
		return
	}
	if val+ks.fractionalBound(i, room) <= ks.bestValue {
		return
	}
	k := ks.order[i]
	if ks.size[k] <= room {
		ks.cur[k] = true
		ks.search(i+1, room-ks.size[k], val+ks.value[k])
		ks.cur[k] = false
	}
	ks.search(i+1, room, val)
}

// fractionalBound is the most the candidates from order[i] on can add in
// room bytes when they may be taken in part: an upper bound of what the
// search below can find.
func (ks *knapsack) fractionalBound(i int, room int64) float64 {
	var v float64
	for _, k := range ks.order[i:] {
		if ks.size[k] <= room {
			room -= ks.size[k]
			v += ks.value[k]
			continue
		}
		return v + ks.value[k]*float64(room)/float64(ks.size[k])
	}
	return v
}
