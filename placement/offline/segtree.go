package offline

// occupancy is a segment tree over request positions supporting "add v to
// positions [lo, hi)" and "max over [lo, hi)" in O(log n): node j holds the
// maximum of its children plus the amount added to its whole range.
type occupancy struct {
	size int
	max  []int64
	add  []int64
}

func newOccupancy(n int) *occupancy {
	size := 1
	for size < n {
		size *= 2
	}
	return &occupancy{size: size, max: make([]int64, 2*size), add: make([]int64, 2*size)}
}

// rangeMax returns the largest occupancy over positions [lo, hi).
func (o *occupancy) rangeMax(lo, hi int) int64 {
	return o.query(1, 0, o.size, lo, hi)
}

// rangeAdd adds v to positions [lo, hi).
func (o *occupancy) rangeAdd(lo, hi int, v int64) {
	o.update(1, 0, o.size, lo, hi, v)
}

func (o *occupancy) query(j, nlo, nhi, lo, hi int) int64 {
	if lo <= nlo && nhi <= hi {
		return o.max[j]
	}
	mid := (nlo + nhi) / 2
	var best int64
	if lo < mid {
		best = o.query(2*j, nlo, mid, lo, hi)
	}
	if hi > mid {
		best = max(best, o.query(2*j+1, mid, nhi, lo, hi))
	}
	return best + o.add[j]
}

func (o *occupancy) update(j, nlo, nhi, lo, hi int, v int64) {
	if lo <= nlo && nhi <= hi {
		o.max[j] += v
		o.add[j] += v
		return
	}
	mid := (nlo + nhi) / 2
	if lo < mid {
		o.update(2*j, nlo, mid, lo, hi, v)
	}
	if hi > mid {
		o.update(2*j+1, mid, nhi, lo, hi, v)
	}
	o.max[j] = max(o.max[2*j], o.max[2*j+1]) + o.add[j]
}
