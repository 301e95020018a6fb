package offline

import (
	"errors"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/sim"
)

// ErrUnknown is returned (wrapped) for a reference name Run does not know.
var ErrUnknown = errors.New("offline: unknown reference")

// references builds each named reference over an indexed workload.
var references = map[string]func(r *reuse, capacityBytes int64) sim.Result{
	"belady":      func(r *reuse, c int64) sim.Result { return run(newBelady(r), r, c) },
	"cost-belady": func(r *reuse, c int64) sim.Result { return run(newCostBelady(r), r, c) },
	"pfoo-u":      func(r *reuse, c int64) sim.Result { return run(newPFOO(r, c), r, c) },
	"lookahead":   func(r *reuse, c int64) sim.Result { return run(newLookahead(r, time.Minute), r, c) },
	"lookahead-knapsack": func(r *reuse, c int64) sim.Result {
		return run(newLookaheadKnapsack(r, c, time.Minute, 5*time.Second), r, c)
	},
	"feasible":    feasible,
	"lower-bound": lowerBound,
}

// Names lists the references Run knows, in report order.
func Names() []string {
	return []string{"belady", "cost-belady", "pfoo-u", "lookahead", "lookahead-knapsack", "feasible", "lower-bound"}
}

// Run replays the named reference ("lookahead" with a one-minute window;
// "lookahead-knapsack" with the same, its set chosen every 5 s)
// over w with opts' accounting (InstantLoads; progress is not reported).
func Run(name string, w *sim.Workload, capacityBytes int64, opts sim.Options) (sim.Result, error) {
	ref, ok := references[name]
	if !ok {
		return sim.Result{}, fmt.Errorf("%w %q (known: %v)", ErrUnknown, name, Names())
	}
	return ref(newReuseFor(w, opts), capacityBytes), nil
}
