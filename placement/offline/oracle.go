package offline

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// oracle is the state every offline schedule shares: it is a
// policy.Policy that knows the workload in advance and follows the
// simulator's calls (one OnAccess per request, in order), so that its
// schedule is replayed and costed by sim.Run exactly like an online
// policy: delayed hits, loading models that cannot be evicted, and the
// capacity enforced by the simulator. A schedule bypasses a model (serves
// it without caching) by naming no victims.
type oracle struct {
	name string
	r    *reuse
	// cur is the index of the request being served.
	cur int
	// lastReq is each model's latest request.
	lastReq []int32
	// byNext orders residents by the eviction priority of the schedule.
	byNext *maxHeap
	// rank gives a resident's priority in byNext (higher goes first).
	rank func(k int32) int64
}

func newOracle(name string, r *reuse) *oracle {
	o := &oracle{name: name, r: r, cur: -1, lastReq: make([]int32, len(r.size)), byNext: newMaxHeap(len(r.size))}
	o.rank = o.nextUse
	return o
}

// run replays the oracle's own workload through the simulator.
func run(p policy.Policy, r *reuse, capacityBytes int64) sim.Result {
	return sim.Run(r.w, p, capacityBytes, sim.Options{InstantLoads: r.instant})
}

// nextUse is the index of a model's next request (len(requests): never).
func (o *oracle) nextUse(k int32) int64 { return int64(o.r.next[o.lastReq[k]]) }

// now is the time of the request being served.
func (o *oracle) now() time.Duration { return o.r.at(o.cur) }

// Name implements policy.Policy.
func (o *oracle) Name() string { return o.name }

// OnAccess advances to the next request, which must be for e.
func (o *oracle) OnAccess(e policy.Entry, _ time.Duration, _ bool) {
	o.cur++
	k := int32(e.Key)
	if o.cur >= o.r.n() || o.r.model(o.cur) != k {
		panic(fmt.Sprintf("offline: %s replayed on another workload (request %d is not for model %d)", o.name, o.cur, k))
	}
	o.lastReq[k] = int32(o.cur)
	if o.byNext.contains(k) {
		o.byNext.set(k, o.rank(k))
	}
}

// OnInsert implements policy.Policy.
func (o *oracle) OnInsert(e policy.Entry, _ time.Duration) {
	o.byNext.set(int32(e.Key), o.rank(int32(e.Key)))
}

// OnRemove implements policy.Policy.
func (o *oracle) OnRemove(k policy.Key) {
	if o.byNext.contains(int32(k)) {
		o.byNext.remove(int32(k))
	}
}

// farthest chooses evictable residents in byNext order whose rank exceeds
// limit until need bytes are found; it returns nil (bypass) when they do
// not suffice.
func (o *oracle) farthest(need, limit int64, evictable func(policy.Key) bool) []policy.Key {
	var popped []int32
	var chosen []policy.Key
	var freed int64
	h := o.byNext
	for freed < need && h.len() > 0 && h.prio[h.top()] > limit {
		v := h.top()
		h.remove(v)
		popped = append(popped, v)
		if evictable(policy.Key(v)) {
			chosen = append(chosen, policy.Key(v))
			freed += o.r.size[v]
		}
	}
	for _, v := range popped {
		h.set(v, o.rank(v))
	}
	if freed < need {
		return nil
	}
	return chosen
}
