package offline

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/placement/sim"
)

// Belady replays w evicting the models requested farthest in the future,
// and bypassing the requested model when every model it could displace is
// requested sooner.
func Belady(w *sim.Workload, capacityBytes int64) sim.Result {
	r := newReuse(w)
	return run(newBelady(r), r, capacityBytes)
}

type belady struct{ *oracle }

func newBelady(r *reuse) belady { return belady{newOracle("belady", r)} }

// Victims implements policy.Policy.
func (b belady) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	return b.farthest(need, int64(b.r.next[b.cur]), evictable)
}
