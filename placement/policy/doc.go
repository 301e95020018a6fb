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
//     LRFU, Lee et al., IEEE ToC 2001). Counts are kept in the log domain,
//     log(sum_i 2^(t_i/half-life)): all models decay by the same factor, so
//     the order of utilities changes only when a model is requested and an
//     indexed heap keeps it in O(log n). The half-life is chosen online
//     (EdgeServeConfig.HalfLives; ladder.go): counts are kept for 2.5 s to
//     40 s, each half-life is scored by the log-likelihood of the requests
//     that came under its rate estimates (weighted by load cost, forgotten
//     with a 10 minute half-life), and every minute the best one is used.
//     The ladder keeps its counts in the linear domain as of each model's
//     latest request (one exponential per request for a doubling ladder)
//     and, where requests come faster than about 4096 a minute, takes the
//     likelihood's log terms on a random sample of that size, each
//     weighted by the inverse of its sampling probability.
//     edgeserve-fixed keeps the constant 10 s chosen earlier on the whole
//     sample (docs/policies.md).
//   - missCost is the load time, or, if cheaper, the round trip to a peer
//     holding a loaded copy (SetPeerCopy) or the cost of serving the
//     model's requests with a loaded functionally-equivalent model
//     (SetSubstitute: the equivalent's extra run time plus a time per
//     percentage point of accuracy given up, SubstituteCost). The latter
//     is the poster's utility of a model of a task: of several loaded
//     equivalents, the ones another can stand in for are cheap to miss,
//     so they are not all kept when one suffices. EdgeServeConfig.DelayedHits
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
//     apart from LRU at small capacities (docs/policies.md). The ratio the
//     comparison uses (admit when ratio x savings reach the victims') is
//     chosen online among 0.5, 1 and 2 (EdgeServeConfig.AdmitRatios;
//     shadow.go), as ARC and LeCaR adapt: each ratio runs a shadow cache
//     over a sample of at most about 64 models, in the capacity scaled to
//     their bytes (SHARDS, Waldspurger et al., FAST 2015), charged as the
//     cache charges loads (LoadTimed: the simulator says whether loads are
//     instant), and every minute the cheapest shadow's ratio is used. It is
//     optional
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
// O((victims + 32) log n). The online choices add, per request for a
// sampled model, one count update per half-life (5; a logarithm each on
// the sampled requests), one exponential, and one heap update per shadow
// (3), and O(n log n) when the half-life changes (at most once a minute).
// Under the classic accounting (instant loads) and where the models are at
// most 64, a fourth shadow (knapsack.go) keeps the set of models a 0/1
// knapsack of expected savings chooses for the capacity, chosen again
// every second (a search capped at 4096 nodes, O(n log n) to sort);
// while it is the cheapest shadow the policy keeps that set.
// edgeserve-cv-long, edgeserve-cv-wide and edgeserve-cv-noknap (without
// the knapsack) are variants of edgeserve's online settings that the
// cross-validation in docs/policies.md weighs against it.
//
// # Measured
//
// How the policies compare with LRU and the offline schedules on the Azure
// Functions sample, and the measurements behind EdgeServe's parameters,
// are in docs/policies.md with the command that makes them
// (edgeserve sim gap; make sim-gap).
package policy
