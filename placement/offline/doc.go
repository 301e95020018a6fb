// Package offline computes, for the trace simulator only, what a cache that
// knows the future can do: feasible offline schedules, whose load delay no
// online policy is expected to beat, and a lower bound on the load delay of
// any demand-loading schedule.
//
// Each schedule is a policy.Policy that knows the workload and is replayed
// by sim.Run like any online policy, so its cost is counted exactly the
// same way (with either accounting of package sim: by default delayed
// hits and loading models that cannot be evicted, or InstantLoads; the
// capacity enforced after every request). A schedule bypasses a model
// (serves it from a transient load, without caching it) by naming no
// victims.
//
//   - Belady: evict the models requested farthest in the future; bypass the
//     requested model when it is itself requested later than every model it
//     could displace (Belady, IBM Systems Journal 1966).
//   - CostBelady: evict the models with the least miss cost per byte per
//     second until their next request, bypassing the requested model when
//     it is worth less. A miss's cost is its load plus, by default, the
//     waits of the requests that arrive during the load, as the simulator
//     charges them (with InstantLoads, the load alone).
//   - PFOOU: the upper bound of Berger, Beckmann and Harchol-Balter,
//     "Practical Bounds on Optimal Caching with Variable Object Sizes"
//     (SIGMETRICS 2018), in its greedy form: reuse intervals (from a request
//     to the next request for the same model) are taken in decreasing order
//     of miss cost per byte-second and kept only where the occupancy over
//     the whole interval, a segment tree over request positions, leaves
//     room. The plan is then replayed.
//   - Lookahead: a model is worth the loads that keeping it would save
//     over the next window (its requests in the window x its load time),
//     per byte; misses evict the least worth, and the requested model is
//     bypassed when it would save less than what it displaces. It is the
//     rate-based form of Belady's rule, and EdgeServe's policy with the
//     future known: where all models are requested many times a second
//     (the Azure sample mapped to a dozen models), the next request alone
//     says little about how much a model is worth keeping, which is where
//     Lookahead does best (docs/policies.md).
//   - Feasible: the cheapest of Belady, CostBelady, PFOOU and Lookahead
//     with windows of 10 s, 1 min and 10 min, named after it.
//   - LowerBound: PFOO-L of the same paper with costs. Every reuse interval
//     costs its size times its duration of cache space-time and saves one
//     load; intervals are taken by decreasing load cost per byte-second
//     until capacity x trace duration is spent, the last one fractionally.
//     Only TotalLoadDelay is meaningful. It bounds every demand-loading
//     schedule, online policies included (a kept interval is counted as
//     saving its whole load even where the simulator charges a delayed
//     hit), but not policies that preload.
//
// The exported functions replay with the default accounting; FeasibleWith
// and Run take sim.Options (InstantLoads), and Run and Names give every
// reference by its report name.
//
// Gap places policies between LRU, Feasible and LowerBound at one
// capacity; `edgeserve sim gap` (make sim-gap) runs it over the Azure
// Functions sample, and docs/policies.md has what it measured.
package offline
