package offline

import (
	"fmt"
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// ServingSuffix, ending a policy name given to Gap, runs that policy's
// policy.NewServing form ("edgeserve-serving": EdgeServe as a node that
// must hold what it serves runs it, without admission control). The other
// forms of sim.Online are accepted too (sim.ForwardSuffix, sim.NodeSuffix).
const ServingSuffix = sim.ServingSuffix

// GapPoint places policies between LRU and the offline references on one
// workload at one capacity.
type GapPoint struct {
	CapacityBytes int64 `json:"capacity_bytes"`
	// LRU, Feasible and Bound are the total load delays of LRU, of the
	// best feasible offline schedule (named by FeasibleBy) and of the
	// lower bound.
	LRU        time.Duration `json:"lru_ns"`
	Feasible   time.Duration `json:"feasible_ns"`
	FeasibleBy string        `json:"feasible_by"`
	Bound      time.Duration `json:"bound_ns"`
	Rows       []GapRow      `json:"rows"`
}

// GapRow is one policy's load delay and the shares of the gaps it closes.
type GapRow struct {
	Policy    string        `json:"policy"`
	LoadDelay time.Duration `json:"load_delay_ns"`
	// RatioToLRU is LoadDelay / LRU's (nil when LRU's is zero).
	RatioToLRU *float64 `json:"ratio_to_lru"`
	// Closed is (LRU - policy) / (LRU - feasible), the share of the
	// LRU-to-offline gap the policy closes: 0 for LRU, 1 for the feasible
	// schedule, above 1 for a policy that beats the (heuristic) schedule.
	// Nil when the feasible schedule is no better than LRU.
	Closed *float64 `json:"gap_closed"`
	// BoundClosed is (LRU - policy) / (LRU - bound), at most 1 for every
	// demand-loading policy. Nil when the bound equals LRU's delay.
	BoundClosed *float64 `json:"bound_gap_closed"`
}

// Gap replays each named contender over w at capBytes with opts'
// accounting and places it against LRU, FeasibleWith and LowerBound.
// Names are online policies (policy.Names, or one with a form suffix of
// sim.Online; opts.Forward sets the forwarding forms' peer) or offline
// references (Names). The references serve what they bypass from a
// transient load: a forwarding form, whose forwards cost a round trip,
// can beat them.
func Gap(w *sim.Workload, capBytes int64, names []string, opts sim.Options) (GapPoint, error) {
	lru, err := replay(w, "lru", capBytes, opts)
	if err != nil {
		return GapPoint{}, err
	}
	feasible := FeasibleWith(w, capBytes, opts)
	p := GapPoint{CapacityBytes: capBytes, LRU: lru.TotalLoadDelay, Feasible: feasible.TotalLoadDelay,
		FeasibleBy: feasible.Schedule, Bound: LowerBound(w, capBytes).TotalLoadDelay}
	for _, name := range names {
		r, err := replay(w, name, capBytes, opts)
		if err != nil {
			return GapPoint{}, err
		}
		p.Rows = append(p.Rows, p.row(name, r.TotalLoadDelay))
	}
	return p, nil
}

func (p GapPoint) row(name string, d time.Duration) GapRow {
	return GapRow{Policy: name, LoadDelay: d, RatioToLRU: share(d, p.LRU),
		Closed: share(p.LRU-d, p.LRU-p.Feasible), BoundClosed: share(p.LRU-d, p.LRU-p.Bound)}
}

// share is a / b, or nil when b is not positive.
func share(a, b time.Duration) *float64 {
	if b <= 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

// replay runs one contender by name.
func replay(w *sim.Workload, name string, capBytes int64, opts sim.Options) (sim.Result, error) {
	if slices.Contains(Names(), name) {
		return Run(name, w, capBytes, opts)
	}
	r, err := sim.Online(name, w, capBytes, opts)
	if err != nil {
		return sim.Result{}, fmt.Errorf("offline: gap: %w", err)
	}
	return r, nil
}
