package cache

import (
	"context"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// phase is where an entry is in its life.
type phase uint8

const (
	phaseWaitSlot phase = iota // queued for a load slot
	phaseWaitRoom              // waiting for memory to be freed
	phaseLoading               // the loader runs
	phaseLoaded                // published; serves requests
)

func (p phase) String() string {
	return [...]string{"queued", "waiting-for-room", "loading", "loaded"}[p]
}

// entry is a model that is loaded or being loaded. All fields except done
// and the ones set before done is closed are guarded by Cache.mu.
type entry[M Resident] struct {
	name  string
	info  *modelInfo
	phase phase
	model M
	// charged is what the entry counts against the budget: the reservation
	// while loading, the measured size once loaded.
	charged  usage
	refs     int  // handles not yet released
	waiters  int  // Acquire calls waiting for the load
	pinned   bool // never evicted until unpinned
	dropping bool // unload when the last user leaves
	detached bool // out of the map; its charge goes when it is closed
	loadedAt time.Time
	// cached is the share of the model's weights in the page cache when
	// its load started, -1 when unknown (Deps.PageCached).
	cached float64
	// evict is the load's narrower eviction rule (AcquireOptions
	// .EvictIdleFor); the zero rule narrows nothing. Guarded by Cache.mu.
	evict evictRule

	ctx    context.Context // the load's own context
	cancel context.CancelCauseFunc
	// done is closed by the load goroutine when the load ended; err is set
	// before.
	done chan struct{}
	err  error
}

// evictable says whether the policy may choose e.
func (e *entry[M]) evictable() bool {
	return e.phase == phaseLoaded && !e.pinned && e.refs == 0 && e.waiters == 0 && !e.detached
}

// idle says whether nothing holds or awaits e.
func (e *entry[M]) idle() bool { return e.refs == 0 && e.waiters == 0 }

// modelInfo is what the cache remembers about a model across evictions.
// Guarded by Cache.mu.
type modelInfo struct {
	key         policy.Key
	measured    usage // the estimate from readings; valid when wasMeasured
	wasMeasured bool
	readings    []usage // the last measured sizes, oldest first (readings.go)
	loadTime    time.Duration
	// warmLoad and coldLoad are the last load's time started with most of
	// the weights in the page cache, and with most of them not; 0 until
	// such a load (loadcost.go).
	warmLoad, coldLoad time.Duration
	hits, misses       uint64
	lastUse            time.Time
	// hinted: a placement hint asks to keep the model (SetHint).
	hinted   bool
	failures int // consecutive failed loads
	retryAt  time.Time
	lastErr  error
}
