package offline

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// Lookahead replays w with a schedule that knows each model's requests
// over the next window: a model is worth the loads that keeping it would
// save in that window, count x load cost, per byte. Misses evict the
// residents worth least per byte (farthest next request first among
// equals), and the requested model is bypassed (served from a transient
// load) when it would save less in the window than the models it would
// displace, or when they do not make room. It is the rate-based view of
// Belady's rule: where every model is requested many times a second, the
// next request alone (Belady, CostBelady, PFOOU) says little about how much
// a model is worth keeping.
func Lookahead(w *sim.Workload, capacityBytes int64, window time.Duration) sim.Result {
	r := newReuse(w)
	return run(newLookahead(r, window), r, capacityBytes)
}

// lookaheadWindows are the windows Feasible tries.
var lookaheadWindows = []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute}

type lookahead struct {
	*oracle
	window time.Duration
	// seen counts each model's requests so far; ahead counts those up to
	// request index hi[k] (exclusive), the first one after the window.
	seen, ahead []int32
	hi          []int32
	cands       []candidate
}

func newLookahead(r *reuse, window time.Duration) *lookahead {
	n := len(r.size)
	l := &lookahead{
		oracle: newOracle(fmt.Sprintf("lookahead-%v", window), r), window: window,
		seen: make([]int32, n), ahead: make([]int32, n), hi: make([]int32, n),
	}
	for k := range l.hi {
		l.hi[k] = int32(r.n())
	}
	for i := r.n() - 1; i >= 0; i-- {
		l.hi[r.model(i)] = int32(i)
	}
	return l
}

// OnAccess counts the request.
func (l *lookahead) OnAccess(e policy.Entry, now time.Duration, hit bool) {
	l.oracle.OnAccess(e, now, hit)
	l.seen[e.Key]++
}

// upcoming is how many requests for k arrive after the current one and
// within the window.
func (l *lookahead) upcoming(k int32) int32 {
	end := l.now() + l.window
	for int(l.hi[k]) < l.r.n() && l.r.at(int(l.hi[k])) <= end {
		l.hi[k] = l.r.next[l.hi[k]]
		l.ahead[k]++
	}
	return l.ahead[k] - l.seen[k]
}

// saves is the load delay keeping k over the window would save, in seconds.
func (l *lookahead) saves(k int32) float64 {
	return float64(l.upcoming(k)) * l.r.cost[k].Seconds()
}

// Victims implements policy.Policy.
func (l *lookahead) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	l.cands = l.cands[:0]
	for _, m := range l.byNext.items {
		if evictable(policy.Key(m)) {
			l.cands = append(l.cands, candidate{m, l.saves(m) / float64(max(l.r.size[m], 1)), l.nextUse(m)})
		}
	}
	slices.SortFunc(l.cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.worth, b.worth), cmp.Compare(b.next, a.next), cmp.Compare(a.k, b.k))
	})
	out := pick(l.cands, need, l.r.size)
	var lost float64
	for _, k := range out {
		lost += l.saves(int32(k))
	}
	if l.saves(l.r.model(l.cur)) < lost {
		return nil
	}
	return out
}
