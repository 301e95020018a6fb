package offline

import (
	"cmp"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// LookaheadKnapsack replays w with a schedule that knows each model's
// requests over the next window, as Lookahead does, but keeps a set
// rather than ranking models one by one: every `every` it chooses the
// models that would save the most load delay in the window (requests x
// load cost) among those that fit in the capacity together, a 0/1
// knapsack. A miss for a model outside the set is bypassed when room
// must be made; a miss for one inside evicts the models outside the set
// first (least saving per byte first), then, only when it saves more than
// they lose, models of the set.
//
// It answers a question about the trace rather than the policy: how much
// of the gap a schedule that knows the request rates ahead (not the
// individual arrivals, which PFOO-U and Belady use) can close. Lookahead
// ranks by saving per byte, the fractional knapsack's greedy rule, which
// with few models of very different sizes keeps sets that leave room no
// other model fits in; the set is what EdgeServe's knapsack shadow keeps
// too, from estimated rates (placement/policy/knapsack.go).
func LookaheadKnapsack(w *sim.Workload, capacityBytes int64, window, every time.Duration) sim.Result {
	r := newReuse(w)
	return run(newLookaheadKnapsack(r, capacityBytes, window, every), r, capacityBytes)
}

// knapsackExactItems bounds the models the set is chosen among exactly;
// beyond it (the per-function mapping's thousands) the set is the greedy
// one by saving per byte. knapsackCells bounds the dynamic program's
// capacity steps: model sizes are rounded up to capacity/knapsackCells,
// so a chosen set always fits.
const (
	knapsackExactItems = 64
	knapsackCells      = 8192
)

type lookaheadKnapsack struct {
	*lookahead
	capBytes int64
	every    time.Duration
	// next is when the set is chosen again (once chosen is set); in
	// marks its models.
	next   time.Duration
	chosen bool
	in     []bool
	// the choice's scratch: candidates, their values and the DP tables.
	items []int32
	vals  []float64
	best  []float64
	take  []bool
}

func newLookaheadKnapsack(r *reuse, capBytes int64, window, every time.Duration) *lookaheadKnapsack {
	l := newLookahead(r, window)
	l.name = "lookahead-knapsack"
	return &lookaheadKnapsack{lookahead: l, capBytes: capBytes, every: max(every, time.Millisecond), in: make([]bool, len(r.size))}
}

// choose picks the set again once an interval has passed.
func (l *lookaheadKnapsack) choose() {
	now := l.now()
	if l.chosen && now < l.next {
		return
	}
	l.next, l.chosen = now+l.every, true
	l.items, l.vals = l.items[:0], l.vals[:0]
	for k := range l.in {
		l.in[k] = false
		if v := l.saves(int32(k)); v > 0 && l.r.size[k] <= l.capBytes {
			l.items = append(l.items, int32(k))
			l.vals = append(l.vals, v)
		}
	}
	if len(l.items) > knapsackExactItems {
		l.greedy()
		return
	}
	l.exact()
}

// greedy fills the set by saving per byte.
func (l *lookaheadKnapsack) greedy() {
	order := make([]int, len(l.items))
	for i := range order {
		order[i] = i
	}
	density := func(i int) float64 { return l.vals[i] / float64(max(l.r.size[l.items[i]], 1)) }
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(density(b), density(a)), cmp.Compare(a, b)) })
	room := l.capBytes
	for _, i := range order {
		if k := l.items[i]; l.r.size[k] <= room {
			l.in[k], room = true, room-l.r.size[k]
		}
	}
}

// exact solves the 0/1 knapsack by dynamic programming over the capacity
// in units of capBytes/knapsackCells (sizes rounded up).
func (l *lookaheadKnapsack) exact() {
	unit := max((l.capBytes+knapsackCells-1)/knapsackCells, 1)
	cells := int(l.capBytes / unit)
	n := len(l.items)
	if cap(l.best) < cells+1 {
		l.best = make([]float64, cells+1)
	}
	best := l.best[:cells+1]
	clear(best)
	if cap(l.take) < n*(cells+1) {
		l.take = make([]bool, n*(cells+1))
	}
	take := l.take[:n*(cells+1)]
	clear(take)
	for i, k := range l.items {
		w := int((l.r.size[k] + unit - 1) / unit)
		row := take[i*(cells+1) : (i+1)*(cells+1)]
		for c := cells; c >= w; c-- {
			if v := best[c-w] + l.vals[i]; v > best[c] {
				best[c], row[c] = v, true
			}
		}
	}
	c := cells
	for i := n - 1; i >= 0; i-- {
		if take[i*(cells+1)+c] {
			k := l.items[i]
			l.in[k] = true
			c -= int((l.r.size[k] + unit - 1) / unit)
		}
	}
}

// Victims implements policy.Policy.
func (l *lookaheadKnapsack) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	l.choose()
	if !l.in[l.r.model(l.cur)] {
		return nil // outside the set: served without taking a place
	}
	l.cands = l.cands[:0]
	for _, m := range l.byNext.items {
		if evictable(policy.Key(m)) {
			l.cands = append(l.cands, candidate{m, l.saves(m) / float64(max(l.r.size[m], 1)), l.nextUse(m)})
		}
	}
	slices.SortFunc(l.cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(boolRank(l.in[a.k]), boolRank(l.in[b.k])),
			cmp.Compare(a.worth, b.worth), cmp.Compare(b.next, a.next), cmp.Compare(a.k, b.k))
	})
	out := pick(l.cands, need, l.r.size)
	var lost float64
	for _, k := range out {
		if l.in[k] {
			lost += l.saves(int32(k))
		}
	}
	if lost > 0 && l.saves(l.r.model(l.cur)) < lost {
		return nil
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
