package offline

import (
	"math"
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// PFOOU keeps reuse intervals greedily, densest first, wherever the cache
// has room over the whole interval (Berger et al.'s PFOO-U, greedy form).
func PFOOU(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	return pfooSchedule(r, capacityBytes).run(r, capacityBytes)
}

func pfooSchedule(r *reuse, capacityBytes int64) schedule {
	s := schedule{name: "pfoo-u", keep: make([]bool, r.n())}
	occ := newOccupancy(r.n())
	for _, iv := range r.byDensity(capacityBytes) {
		lo, hi := int(iv.i), int(r.next[iv.i])
		size := r.size[r.model(lo)]
		if occ.rangeMax(lo, hi)+size <= capacityBytes {
			occ.rangeAdd(lo, hi, size)
			s.keep[lo] = true
		}
	}
	return s
}

// Feasible returns the cheapest of the feasible offline schedules (Belady,
// CostBelady, PFOOU), named after the one it is, e.g. "feasible(pfoo-u)".
func Feasible(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	var best sim.Result
	for i, build := range []func(*reuse, int64) schedule{beladySchedule, costBeladySchedule, pfooSchedule} {
		res := build(r, capacityBytes).run(r, capacityBytes)
		if i == 0 || res.TotalLoadDelay < best.TotalLoadDelay {
			best = res
		}
	}
	best.Policy = "feasible(" + best.Policy + ")"
	return best
}

// LowerBound returns a result whose TotalLoadDelay no demand-loading
// schedule can beat (PFOO-L with costs); its other fields are zero but for
// Policy, CapacityBytes and Requests.
func LowerBound(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	var total time.Duration
	for _, req := range w.Requests {
		total += r.cost[req.Model]
	}
	var saved time.Duration
	if r.n() > 0 {
		budget := float64(capacityBytes) * (r.at(r.n()-1) - r.at(0)).Seconds()
		for _, iv := range r.byDensity(capacityBytes) {
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
