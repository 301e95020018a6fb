package offline

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// reuse indexes a workload's requests by their model's next request.
type reuse struct {
	w *sim.Workload
	// next[i] is the index of the next request for request i's model, or
	// len(requests) when there is none.
	next []int32
	size []int64
	cost []time.Duration
}

func newReuse(w *sim.Workload) *reuse {
	n := len(w.Requests)
	r := &reuse{w: w, next: make([]int32, n), size: make([]int64, len(w.Models)), cost: make([]time.Duration, len(w.Models))}
	for k, m := range w.Models {
		r.size[k], r.cost[k] = m.SizeBytes, m.LoadTime
	}
	last := make([]int32, len(w.Models))
	for k := range last {
		last[k] = int32(n)
	}
	for i := n - 1; i >= 0; i-- {
		k := w.Requests[i].Model
		r.next[i] = last[k]
		last[k] = int32(i)
	}
	return r
}

func (r *reuse) n() int { return len(r.next) }

// model returns request i's model.
func (r *reuse) model(i int) int32 { return r.w.Requests[i].Model }

// at returns request i's time.
func (r *reuse) at(i int) time.Duration { return r.w.Requests[i].Time }

// hasNext reports whether request i's model is requested again.
func (r *reuse) hasNext(i int) bool { return int(r.next[i]) < r.n() }

// fits reports whether model k can be cached at all.
func (r *reuse) fits(k int32, capacityBytes int64) bool { return r.size[k] <= capacityBytes }
