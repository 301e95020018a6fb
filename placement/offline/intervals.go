package offline

import (
	"cmp"
	"math"
	"slices"
)

// interval is the reuse interval from request i to its model's next
// request, with the load cost it saves per byte-second of cache it takes.
type interval struct {
	i       int32
	density float64
}

// byDensity returns every cacheable reuse interval, densest first (ties in
// request order, so results are deterministic). worth gives an interval's
// value per byte-second from its first request.
func (r *reuse) byDensity(capacityBytes int64, worth func(i int) float64) []interval {
	out := make([]interval, 0, r.n())
	for i := 0; i < r.n(); i++ {
		if k := r.model(i); r.hasNext(i) && r.fits(k, capacityBytes) {
			out = append(out, interval{i: int32(i), density: worth(i)})
		}
	}
	slices.SortFunc(out, func(a, b interval) int {
		if c := cmp.Compare(b.density, a.density); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	return out
}

// loadWorth is an interval's load cost saved per byte-second: the order
// that makes the fractional bound tight.
func (r *reuse) loadWorth(i int) float64 {
	k := r.model(i)
	dt := (r.at(int(r.next[i])) - r.at(i)).Seconds()
	if dt <= 0 {
		return math.Inf(1)
	}
	return r.cost[k].Seconds() / (float64(max(r.size[k], 1)) * dt)
}

// missWorth is an interval's whole miss cost (delayed hits included) saved
// per byte-second: the order PFOO-U plans by.
func (r *reuse) missWorth(i int) float64 { return r.worth(r.model(i), r.next[i], i) }
