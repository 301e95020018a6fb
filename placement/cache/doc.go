// Package cache is one node's memory-budgeted model cache: it keeps a set of
// loaded models whose measured memory fits a byte budget, loads a model on a
// miss, and evicts idle models chosen by a policy.Policy to make room.
//
// # Accounting
//
// Every resident model is charged the memory it was measured to take after
// its load (Resident.MemoryBytes: for ONNX Runtime its anonymous memory; the
// weights it maps from a file are the page cache's, a second tier the
// kernel manages), never a figure derived from its file. A load first
// reserves an estimate: the median of that model's last few measured sizes
// if it was ever loaded, else the caller's size hint (the node passes the
// file size times a factor), cut to the budget: a guess never refuses a
// model. When the load ends the charge is corrected to
// the median with this load's reading included, so one noisy reading (a
// runtime measures process-wide growth, which other requests move) neither
// locks a model out nor lets it in for free. If the charge overflows the
// budget the cache evicts more idle models, or waits for room as a
// reservation does (below). Bytes of an evicted model stay charged until
// its Close returns, so the charged total never exceeds the budget. A
// measurement of 0 (a runtime measuring resident-memory growth can see none
// for a tiny model) keeps the reservation as the charge; a reading above the
// whole budget fails the load with ErrTooLarge, is not remembered, and
// backs the model off like a failed load, so it is retried later.
//
// When no idle model can be evicted (everything is in use or pinned) a load
// waits for a release, up to RoomWait and never past its waiters'
// deadlines, then fails with ErrNoCapacity (wrapping the deadline's error
// when that ended the wait); RoomWait 0 fails at once. Waiting is the
// default because a model in use is normally released within one inference,
// far sooner than a client would retry.
//
// A policy with admission control may decline to evict idle models for a
// model it does not want cached; the load then fails at once with
// ErrDeclined (which also matches ErrNoCapacity), without waiting or
// backing off, and the node serves the request elsewhere (a peer).
//
// The budget has two dimensions: host memory (CapacityBytes, always) and GPU
// memory (GPUCapacityBytes, set at start by a node on a GPU execution
// provider from NVML: the GPU's free memory minus a reserve). Models that
// hold GPU memory implement GPUResident and are charged in both; a load fits
// only when both fit. The ONNX Runtime backend does not measure a model's
// device memory yet (its models do not implement GPUResident), so on a GPU
// node the GPU budget is set and reported but charges nothing until it does. The policy ranks
// by one size, the GPU bytes when a GPU budget is set (the scarcer pool),
// else host bytes; a shortfall in the other pool is covered by taking the
// policy's next victims one at a time.
//
// # Event order of a miss
//
//  1. Acquire takes the lock. A loaded entry is a hit: its reference count
//     goes up and the handle is returned.
//  2. A miss with no entry checks the back-off and the size (ErrTooLarge,
//     BackoffError fail fast), creates an entry with one waiter and starts
//     the load goroutine. A miss that finds an entry being loaded joins it as
//     another waiter: one load per model, however many requests.
//  3. The load goroutine runs under a context owned by the entry, not by any
//     request: it takes a load slot (at most MaxConcurrentLoads loads run at
//     once), reserves room (evicting policy victims, or waiting up to
//     RoomWait for in-use models to be released), loads, warms up, corrects
//     the charge and publishes: the entry becomes loaded and done is closed.
//  4. A waiter whose context ends first leaves (its place is freed at once).
//     If it was the last waiter and the load has not finished, the load is
//     abandoned: the entry leaves the map and its context is cancelled, so
//     the next Acquire starts a fresh load instead of joining a dying one;
//     the old goroutine returns its reservation when the loader gives up.
//     An abandoned load is not a failure and starts no back-off.
//  5. A waiter woken by done takes its reference and leaves the waiters in
//     one critical section. An entry with waiters is never evictable, so the
//     model cannot be evicted between publication and that reference.
//  6. A failed load leaves the map, returns its reservation and hands the
//     same error to every waiter; the model then backs off (exponentially,
//     capped) and Acquire fails fast with a BackoffError wrapping the last
//     load error until the back-off ends.
//
// A model is evictable only when it is loaded, unpinned, has no references
// and no waiters. Pin loads a model and keeps it resident until Unpin or
// Unload (Triton's repository load and unload). Unload removes an idle model
// at once, or when its last user releases it.
//
// Every admitted request is recorded in a bounded history ring (model, time,
// hit, latency) for policies, preloading and gossip; Status lists the
// resident models. Hot paths count in Prometheus metrics and never log.
package cache
