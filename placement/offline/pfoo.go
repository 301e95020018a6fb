package offline

import (
	"math"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// PFOOU plans which reuse intervals to keep greedily, densest (load cost
// per byte-second) first, wherever the cache has room over the whole
// interval (Berger et al.'s PFOO-U, greedy form), then replays the plan:
// a miss whose interval is kept evicts the residents the plan no longer
// needs (farthest next request first) and, if the simulator's loading
// models leave too little room, planned residents requested later than it.
func PFOOU(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	return run(newPFOO(r, capacityBytes), r, capacityBytes)
}

type pfoo struct {
	*oracle
	keep plan
}

func newPFOO(r *reuse, capacityBytes int64) pfoo {
	p := pfoo{oracle: newOracle("pfoo-u", r), keep: planPFOO(r, capacityBytes)}
	n := int64(r.n())
	p.rank = func(k int32) int64 {
		if p.keep[p.lastReq[k]] {
			return p.nextUse(k)
		}
		return n + p.nextUse(k) // not needed by the plan: evict first
	}
	return p
}

// Victims implements policy.Policy.
func (p pfoo) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	if !p.keep[p.cur] {
		return nil
	}
	return p.farthest(need, int64(p.r.next[p.cur]), evictable)
}

// planPFOO is the greedy interval selection.
func planPFOO(r *reuse, capacityBytes int64) plan {
	keep := make(plan, r.n())
	occ := newOccupancy(r.n())
	for _, iv := range r.byDensity(capacityBytes, r.missWorth) {
		lo, hi := int(iv.i), int(r.next[iv.i])
		size := r.size[r.model(lo)]
		if occ.rangeMax(lo, hi)+size <= capacityBytes {
			occ.rangeAdd(lo, hi, size)
			keep[lo] = true
		}
	}
	return keep
}

// Feasible returns the cheapest of the feasible offline schedules (Belady,
// CostBelady, PFOOU, and Lookahead with windows of 10 s, 1 min and 10 min),
// named after the one it is, e.g. "feasible(pfoo-u)".
func Feasible(w *sim.Workload, capacityBytes int64) sim.Result {
	return FeasibleWith(w, capacityBytes, sim.Options{})
}

// FeasibleWith is Feasible replayed with opts' accounting (InstantLoads).
func FeasibleWith(w *sim.Workload, capacityBytes int64, opts sim.Options) sim.Result {
	return feasible(newReuseFor(w, opts), capacityBytes)
}

func feasible(r *reuse, capacityBytes int64) sim.Result {
	var best sim.Result
	schedules := []policy.Policy{newBelady(r), newCostBelady(r), newPFOO(r, capacityBytes)}
	for _, win := range lookaheadWindows {
		schedules = append(schedules, newLookahead(r, win))
	}
	for i, p := range schedules {
		res := run(p, r, capacityBytes)
		if i == 0 || res.TotalLoadDelay < best.TotalLoadDelay {
			best = res
		}
	}
	best.Schedule = best.Policy
	best.Policy = "feasible(" + best.Policy + ")"
	return best
}

// LowerBound returns a result whose TotalLoadDelay no demand-loading
// schedule can beat (PFOO-L with costs); its other fields are zero but for
// Policy, CapacityBytes and Requests. A kept interval is counted as saving
// its whole load cost, though the simulator may still charge a delayed
// hit, so the bound holds for the simulator's accounting too.
func LowerBound(w *sim.Workload, capacityBytes int64) sim.Result {
	return lowerBound(newReuse(w), capacityBytes)
}

func lowerBound(r *reuse, capacityBytes int64) sim.Result {
	w := r.w
	var total, saved time.Duration
	for _, req := range w.Requests {
		total += r.cost[req.Model]
	}
	if r.n() > 0 {
		budget := float64(capacityBytes) * (r.at(r.n()-1) - r.at(0)).Seconds()
		for _, iv := range r.byDensity(capacityBytes, r.loadWorth) {
			i := int(iv.i)
			k := r.model(i)
			space := float64(r.size[k]) * (r.at(int(r.next[i])) - r.at(i)).Seconds()
			if space > budget {
				saved += time.Duration(math.Ceil(float64(r.cost[k]) * budget / space))
				break
			}
			budget -= space
			saved += r.cost[k]
		}
	}
	return sim.Result{
		Policy: "lower-bound", CapacityBytes: capacityBytes, Requests: r.n(),
		TotalLoadDelay: total - saved,
	}
}
