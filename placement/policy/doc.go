// Package policy holds the cache replacement policies shared by the node's
// model cache and the trace simulator: which loaded models to evict when a
// missed model needs memory, and, for policies that can, whether to cache
// the missed model at all and what to preload into free memory.
//
// New builds a policy by name (Names lists them) over a table of models
// whose keys are dense (0..n-1), so per-model state lives in slices:
//
//   - lru: least recently used (a linked list, O(1)).
//   - lfu: least frequently used over the whole history, ties by recency.
//   - gdsf: Greedy-Dual-Size-Frequency (Cherkasova 1998) with the load
//     time as the cost of a miss.
//   - cremebrulee: the utility policy of the authors' follow-up (Ogden et
//     al., ACSOS 2021): request share^B x load cost^C / size, evicting the
//     largest of the lowest-utility victims first.
//   - cremebrulee-decay: the same with exponentially decayed counts.
//   - edgeserve: EdgeServe's own policy, below.
//
// # EdgeServe's policy
//
// The cost of keeping a model is its memory; the benefit is the load delay
// it saves. EdgeServe ranks each model by its expected savings per byte:
//
//	utility(k) = rate(k) x missCost(k) / size(k)
//
// Its parts, and what the policy adds to it:
//
//   - rate is estimated from exponentially decayed request counts (as in
//     LRFU, Lee et al., IEEE ToC 2001) with a 10 s half-life: the Azure
//     Functions trace counts invocations per minute, so demand changes at
//     minute scale, and a short memory also weighs recency (the half-life
//     was chosen by measurement: docs/policies.md). Counts are kept
//     in the log domain, log(sum_i 2^(t_i/half-life)): all models decay by
//     the same factor, so the order of utilities changes only when a model
//     is requested and an indexed heap keeps it in O(log n).
//   - missCost is the load time (or the round trip to a peer holding a
//     loaded copy, if cheaper: SetPeerCopy). EdgeServeConfig.DelayedHits
//     adds the waits of the requests expected during the load, rate x load
//     / 2 each, the "delayed hits" of Atre et al. (SIGCOMM 2020); it is off
//     by default because on the Azure sample it measured worse, even where
//     the simulator charges delayed hits (docs/policies.md). Dividing by
//     size is the cost-per-byte
//     rule of GreedyDual-Size (Cao and Irani, USITS 1997) and of the
//     offline bounds of Berger et al. (SIGMETRICS 2018).
//   - Admission control: a missed model is cached only if its expected
//     savings reach those of the victims it would displace; otherwise
//     Victims names none and the request is forwarded (the simulator's
//     transient load). As in TinyLFU
//     (Einziger et al., ACM ToS 2017), a one-off request then cannot push
//     out a busy model; on the Azure sample this is what sets the policy
//     apart from LRU at small capacities (docs/policies.md). It is optional
//     (EdgeServeConfig.Admission): a cache that can only serve what it
//     holds, such as the node's until it forwards, builds its policy with
//     NewServing, which turns it off.
//   - Periodic arrivals: many functions are timer-triggered. Each model's
//     gaps between bursts (at least a minute) and their jitter are tracked;
//     for a model whose next arrival is due, the savings are at least one
//     miss per time left until it (cost-aware Belady with the predicted
//     next use). Residents at the top of the eviction heap are re-ranked
//     with this, at most 32 per eviction.
//   - Two memories: a small cache evicts models idle for seconds, where
//     current demand is what matters; a large one evicts models idle for
//     many minutes, where long-term popularity predicts reuse better and
//     admission control only turns away models that come back. The policy
//     tracks the typical idle time of its victims (the cache's
//     characteristic time, as in Che et al.'s approximation of LRU, IEEE
//     JSAC 2002) and above 8 minutes switches to a 10 minute half-life
//     without admission control, below 3 minutes back (re-ranking all
//     models once per switch, O(n log n)).
//   - Preloading: non-resident models that were recently requested are
//     kept in a second heap by utility; Preload offers the best that fit in
//     free memory (the simulator's Preloader, the node's preloading).
//   - Hints: SetHint weighs a model's savings by 1 + weight (placement
//     hints from the region's leader).
//
// Every operation is O(log n) in the number of models; Victims is
// O((victims + 32) log n).
//
// # Measured
//
// How the policies compare with LRU and the offline schedules on the Azure
// Functions sample, and the measurements behind EdgeServe's parameters,
// are in docs/policies.md with the command that makes them
// (edgeserve sim gap; make sim-gap).
package policy
