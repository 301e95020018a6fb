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
	// missCost[i] is what a miss at request i costs in all, in seconds:
	// its load plus the waits of the requests for the same model that
	// arrive during that load (the simulator's delayed hits), or its load
	// alone where loads are instant.
	missCost []float64
	// instant replays with sim.Options.InstantLoads.
	instant bool
}

func newReuse(w *sim.Workload) *reuse { return newReuseFor(w, sim.Options{}) }

// newReuseFor indexes w for replays with opts' accounting.
func newReuseFor(w *sim.Workload, opts sim.Options) *reuse {
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
	r.instant = opts.InstantLoads
	if r.instant {
		r.missCost = make([]float64, n)
		for i, req := range w.Requests {
			r.missCost[i] = r.cost[req.Model].Seconds()
		}
		return r
	}
	r.missCost = r.delayedMissCosts(last)
	return r
}

// delayedMissCosts computes missCost by sliding, for each model, a window
// of one load time over its requests (first holds each model's first
// request): for request a the window's requests b wait t_a + L - t_b.
func (r *reuse) delayedMissCosts(first []int32) []float64 {
	miss := make([]float64, r.n())
	for k, a := range first {
		l := r.cost[k].Seconds()
		e := a
		var cnt int
		var sum float64 // sum of t_b over the window (a, e)
		for ; int(a) < r.n(); a = r.next[a] {
			ta := r.at(int(a)).Seconds()
			if e == a {
				e = r.next[a]
			} else {
				cnt--
				sum -= ta
			}
			for int(e) < r.n() && r.at(int(e)).Seconds() < ta+l {
				cnt++
				sum += r.at(int(e)).Seconds()
				e = r.next[e]
			}
			miss[a] = l + float64(cnt)*(ta+l) - sum
		}
	}
	return miss
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
