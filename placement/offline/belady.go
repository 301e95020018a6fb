package offline

import "github.com/edgeserve/edgeserve/placement/sim"

// Belady replays w evicting the model requested farthest in the future.
func Belady(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	return beladySchedule(r, capacityBytes).run(r, capacityBytes)
}

// residents tracks an offline cache's contents and the request that last
// touched each resident model, so an eviction can un-keep that interval.
type residents struct {
	used     int64
	lastReq  []int32
	resident []bool
}

func newResidents(models int) *residents {
	return &residents{lastReq: make([]int32, models), resident: make([]bool, models)}
}

func beladySchedule(r *reuse, capacityBytes int64) schedule {
	s := schedule{name: "belady", keep: make([]bool, r.n())}
	res := newResidents(len(r.size))
	h := newMaxHeap(len(r.size))
	var evict []int32
	for i := 0; i < r.n(); i++ {
		k := r.model(i)
		if res.resident[k] {
			res.resident[k] = false
			res.used -= r.size[k]
			h.remove(k)
		}
		if !r.hasNext(i) || !r.fits(k, capacityBytes) {
			continue
		}
		evict = evict[:0]
		free := capacityBytes - res.used
		for free < r.size[k] && h.len() > 0 && h.prio[h.top()] > int64(r.next[i]) {
			v := h.top()
			h.remove(v)
			evict = append(evict, v)
			free += r.size[v]
		}
		if free < r.size[k] {
			for _, v := range evict {
				h.set(v, int64(r.next[res.lastReq[v]]))
			}
			continue
		}
		for _, v := range evict {
			s.keep[res.lastReq[v]] = false
			res.resident[v] = false
			res.used -= r.size[v]
		}
		s.keep[i] = true
		res.resident[k], res.lastReq[k] = true, int32(i)
		res.used += r.size[k]
		h.set(k, int64(r.next[i]))
	}
	return s
}
