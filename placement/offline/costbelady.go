package offline

import (
	"math"
	"slices"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// CostBelady replays w evicting the models with the least load cost per
// byte per second until their next request, bypassing the requested model
// when it is worth less than the models it would displace.
func CostBelady(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	return costBeladySchedule(r, capacityBytes).run(r, capacityBytes)
}

// worth is a resident's load cost per byte per second until request next.
func (r *reuse) worth(k int32, next int32, now int) float64 {
	if int(next) >= r.n() {
		return 0
	}
	dt := (r.at(int(next)) - r.at(now)).Seconds()
	if dt <= 0 {
		return math.Inf(1)
	}
	return r.cost[k].Seconds() / (float64(max(r.size[k], 1)) * dt)
}

func costBeladySchedule(r *reuse, capacityBytes int64) schedule {
	s := schedule{name: "cost-belady", keep: make([]bool, r.n())}
	res := newResidents(len(r.size))
	set := newMemberList(len(r.size))
	type cand struct {
		k     int32
		worth float64
	}
	var cands []cand
	for i := 0; i < r.n(); i++ {
		k := r.model(i)
		if res.resident[k] {
			res.resident[k] = false
			res.used -= r.size[k]
			set.remove(k)
		}
		if !r.hasNext(i) || !r.fits(k, capacityBytes) {
			continue
		}
		if free := capacityBytes - res.used; free < r.size[k] {
			mine := r.worth(k, r.next[i], i)
			cands = cands[:0]
			for _, m := range set.items {
				if w := r.worth(m, r.next[res.lastReq[m]], i); w < mine {
					cands = append(cands, cand{m, w})
				}
			}
			slices.SortFunc(cands, func(a, b cand) int {
				if a.worth != b.worth {
					return cmpFloat(a.worth, b.worth)
				}
				return int(a.k - b.k)
			})
			n := 0
			for n < len(cands) && free < r.size[k] {
				free += r.size[cands[n].k]
				n++
			}
			if free < r.size[k] {
				continue
			}
			for _, c := range cands[:n] {
				s.keep[res.lastReq[c.k]] = false
				res.resident[c.k] = false
				res.used -= r.size[c.k]
				set.remove(c.k)
			}
		}
		s.keep[i] = true
		res.resident[k], res.lastReq[k] = true, int32(i)
		res.used += r.size[k]
		set.add(k)
	}
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// memberList is a set of models with O(1) add, remove and iteration.
type memberList struct {
	items []int32
	pos   []int32
}

func newMemberList(n int) *memberList {
	m := &memberList{pos: make([]int32, n)}
	for i := range m.pos {
		m.pos[i] = -1
	}
	return m
}

func (m *memberList) add(k int32) {
	m.pos[k] = int32(len(m.items))
	m.items = append(m.items, k)
}

func (m *memberList) remove(k int32) {
	i, last := m.pos[k], int32(len(m.items)-1)
	m.items[i] = m.items[last]
	m.pos[m.items[i]] = i
	m.items = m.items[:last]
	m.pos[k] = -1
}
