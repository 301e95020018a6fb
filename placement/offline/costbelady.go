package offline

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// CostBelady replays w evicting the models with the least miss cost per
// byte per second until their next request (a miss's cost counts the
// delayed hits it causes, as the simulator charges them by default),
// bypassing the requested model when it is worth less than the models it
// would displace.
func CostBelady(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	return run(newCostBelady(r), r, capacityBytes)
}

type costBelady struct {
	*oracle
	cands []candidate
}

// candidate is a resident a schedule may evict, with what it is worth to
// keep and, where the schedule breaks ties by it, its next request.
type candidate struct {
	k     int32
	worth float64
	next  int64
}

// pick takes cands in order until they free need bytes; it returns nil
// when all of them do not.
func pick(cands []candidate, need int64, size []int64) []policy.Key {
	var out []policy.Key
	var freed int64
	for _, c := range cands {
		if freed >= need {
			return out
		}
		out = append(out, policy.Key(c.k))
		freed += size[c.k]
	}
	if freed < need {
		return nil
	}
	return out
}

func newCostBelady(r *reuse) *costBelady { return &costBelady{oracle: newOracle("cost-belady", r)} }

// worth is a model's load cost per byte per second until request next,
// seen from request now: 0 when it is never requested again.
func (r *reuse) worth(k int32, next int32, now int) float64 {
	if int(next) >= r.n() {
		return 0
	}
	dt := (r.at(int(next)) - r.at(now)).Seconds()
	if dt <= 0 {
		return math.Inf(1)
	}
	return r.missCost[next] / (float64(max(r.size[k], 1)) * dt)
}

// Victims scans the residents: their worth changes with time, so no
// static order holds it.
func (c *costBelady) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	mine := c.r.worth(c.r.model(c.cur), c.r.next[c.cur], c.cur)
	c.cands = c.cands[:0]
	for _, m := range c.byNext.items {
		if w := c.r.worth(m, c.r.next[c.lastReq[m]], c.cur); w < mine && evictable(policy.Key(m)) {
			c.cands = append(c.cands, candidate{k: m, worth: w})
		}
	}
	slices.SortFunc(c.cands, func(a, b candidate) int {
		if x := cmp.Compare(a.worth, b.worth); x != 0 {
			return x
		}
		return cmp.Compare(a.k, b.k)
	})
	return pick(c.cands, need, c.r.size)
}
