// Package offline computes, for the trace simulator only, what a cache that
// knew the future could do: feasible offline schedules, whose load delay no
// online policy is expected to beat, and a lower bound on the load delay of
// any demand-loading schedule.
//
// Every schedule is a set of kept reuse intervals: for request i of model
// k, keep[i] says that k stays resident from request i until k's next
// request. A request whose preceding interval was kept is a hit (or a
// delayed hit while the model is still loading); any other request loads
// the model, as in the simulator. A schedule is feasible when, after every
// request, the kept intervals that cover it fit in the capacity; a model
// that is not kept is served from a transient load ("bypass"), which the
// simulator also does for models that do not fit.
//
//   - Belady: on a miss, evict the models whose next request is farthest,
//     bypassing the requested model if it is itself the farthest (Belady,
//     "A study of replacement algorithms for a virtual-storage computer",
//     IBM Systems Journal 1966, with bypass for variable sizes).
//   - CostBelady: evict the models with the least load cost per byte per
//     second until their next request.
//   - PFOOU: the upper bound of Berger, Beckmann and Harchol-Balter,
//     "Practical Bounds on Optimal Caching with Variable Object Sizes"
//     (SIGMETRICS 2018), in its greedy form: reuse intervals are taken in
//     decreasing order of cost per byte-second and kept only where the
//     occupancy over the whole interval (a segment tree over request
//     positions) leaves room.
//   - Feasible: the cheapest of the three.
//   - LowerBound: PFOO-L of the same paper with costs: every reuse interval
//     costs its size times its duration of cache space-time; intervals are
//     taken by decreasing cost saved per byte-second until capacity x trace
//     duration is spent, the last one fractionally. Only TotalLoadDelay is
//     meaningful. It bounds every demand-loading schedule, online policies
//     included, but not policies that preload.
package offline
