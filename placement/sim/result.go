package sim

import (
	"math"
	"slices"
	"time"
)

// Result summarises one replay of a workload under one policy and capacity.
type Result struct {
	Policy        string
	CapacityBytes int64
	Requests      int
	// Hits counts requests whose model was resident and ready.
	Hits int
	// DelayedHits counts requests whose model was resident but still
	// loading; they waited the remaining load time and caused no load.
	DelayedHits int
	// HitRatio is Hits/Requests; ByteHitRatio weighs each request by the
	// size of its model.
	HitRatio, ByteHitRatio float64
	// TotalLoadDelay sums the time requests waited for loads; P99LoadDelay
	// is the 99th percentile (nearest rank) over all requests, hits
	// included.
	TotalLoadDelay, P99LoadDelay time.Duration
	// Loads counts loads caused by misses (cached or not); Preloads counts
	// loads a Preloader started.
	Loads, Preloads int
	// Forwards counts requests forwarded to a peer (Options.Forward).
	Forwards int `json:",omitempty"`
	// Schedule names, for a reference that picks the best of several
	// schedules (the offline feasible one), the schedule it picked.
	Schedule string `json:",omitempty"`
}

// Tally accumulates a Result request by request. Offline references use it
// so that every policy's numbers are computed the same way. The zero value
// is ready to use.
type Tally struct {
	requests, hits, delayedHits, loads, preloads, forwards int
	bytesAll, bytesHit                                     float64
	total                                                  time.Duration
	// delays holds the non-zero delays; zeros are only counted.
	delays []time.Duration
}

// Hit records a request served by a ready model of size bytes.
func (t *Tally) Hit(size int64) {
	t.requests++
	t.hits++
	t.bytesAll += float64(size)
	t.bytesHit += float64(size)
}

// DelayedHit records a request that waited wait for a model already loading.
func (t *Tally) DelayedHit(size int64, wait time.Duration) {
	t.requests++
	t.delayedHits++
	t.bytesAll += float64(size)
	t.delay(wait)
}

// Miss records a request that caused a load and waited wait for it.
func (t *Tally) Miss(size int64, wait time.Duration) {
	t.requests++
	t.loads++
	t.bytesAll += float64(size)
	t.delay(wait)
}

// Forward records a request served by a peer that it waited wait for
// beyond its run.
func (t *Tally) Forward(size int64, wait time.Duration) {
	t.requests++
	t.forwards++
	t.bytesAll += float64(size)
	t.delay(wait)
}

// Preload records a load nobody waited for.
func (t *Tally) Preload() { t.preloads++ }

func (t *Tally) delay(d time.Duration) {
	if d > 0 {
		t.total += d
		t.delays = append(t.delays, d)
	}
}

// Result computes the summary. It sorts the recorded delays in place.
func (t *Tally) Result(policyName string, capacityBytes int64) Result {
	r := Result{
		Policy: policyName, CapacityBytes: capacityBytes,
		Requests: t.requests, Hits: t.hits, DelayedHits: t.delayedHits,
		TotalLoadDelay: t.total, Loads: t.loads, Preloads: t.preloads, Forwards: t.forwards,
	}
	if t.requests > 0 {
		r.HitRatio = float64(t.hits) / float64(t.requests)
	}
	if t.bytesAll > 0 {
		r.ByteHitRatio = t.bytesHit / t.bytesAll
	}
	r.P99LoadDelay = t.percentile(0.99)
	return r
}

// percentile returns the nearest-rank q-quantile of all requests' delays,
// counting the requests that waited nothing as zeros.
func (t *Tally) percentile(q float64) time.Duration {
	if t.requests == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(t.requests))) - 1 // 0-based
	zeros := t.requests - len(t.delays)
	if rank < zeros {
		return 0
	}
	slices.Sort(t.delays)
	return t.delays[min(rank-zeros, len(t.delays)-1)]
}
