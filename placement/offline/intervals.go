package offline

import (
	"cmp"
	"slices"
)

// interval is the reuse interval from request i to its model's next
// request, with the load cost it saves per byte-second of cache it takes.
type interval struct {
	i       int32
	density float64
}

// byDensity returns every cacheable reuse interval, densest first (ties in
// request order, so results are deterministic).
func (r *reuse) byDensity(capacityBytes int64) []interval {
	out := make([]interval, 0, r.n())
	for i := 0; i < r.n(); i++ {
		if k := r.model(i); r.hasNext(i) && r.fits(k, capacityBytes) {
			out = append(out, interval{i: int32(i), density: r.worth(k, r.next[i], i)})
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
