package cache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// Cache is a memory-budgeted set of loaded models. It is safe for
// concurrent use.
type Cache[M Resident] struct {
	cfg     Config
	deps    Deps[M]
	metrics *metrics
	start   time.Time     // origin of the policy's time axis
	slots   chan struct{} // load slots; a send takes one

	// base is cancelled by Close; every load context derives from it.
	base     context.Context
	stopLoad context.CancelFunc

	mu sync.Mutex // guards the fields below and every entry and modelInfo
	// entries holds models loaded or being loaded, by name.
	entries map[string]*entry[M]
	// known interns names into policy keys and remembers per-model facts.
	known map[string]*modelInfo
	// used is charged memory: loaded models (until their Close returns)
	// plus reservations of loads.
	used usage
	// roomC is closed and replaced to wake everyone waiting for room (or for
	// the drain in Close); roomWaiters counts them so that the hit path
	// allocates nothing when no one waits.
	roomC       chan struct{}
	roomWaiters int
	history     *ring
	closed      bool
	// spare is the request loads' victim preference (SetVictimPreference).
	spare victimPreference
}

// AcquireOptions qualify one Acquire.
type AcquireOptions struct {
	// SizeHintBytes estimates the memory the model will take (for example
	// its file size times a factor). It is used only for a model never
	// measured here, to make room before the load.
	SizeHintBytes int64
	// GPUSizeHintBytes estimates the GPU memory, likewise; it matters only
	// with a GPU budget.
	GPUSizeHintBytes int64
	// EvictIdleFor, when positive, narrows what a load this call starts
	// may evict to models not hinted (SetHint) and last used at least this
	// long ago, and makes it fail at once (ErrDeclined) instead of waiting
	// when they cannot make the room: a preload's rule, so that a hint's
	// copy takes the place of a cold model and never of one in use. A
	// request joining such a load lifts the rule.
	EvictIdleFor time.Duration
	// EvictSoleIdleFor, when longer than EvictIdleFor, is the idle rule
	// instead for a model that HeldElsewhere says no other node holds
	// loaded: evicting the cluster's last copy turns the model's next
	// request into a load rather than a forward, so a preload takes its
	// place only after a longer idle time.
	EvictSoleIdleFor time.Duration
	// HeldElsewhere reports whether another node holds a loaded copy of a
	// model; nil counts every model as held elsewhere. It is called with
	// the cache's lock held and must not call into the cache.
	HeldElsewhere func(name string) bool
}

// evictRule is a load's narrower eviction rule (AcquireOptions.EvictIdleFor
// and the fields after it); the zero rule narrows nothing.
type evictRule struct {
	idleFor, soleIdleFor time.Duration
	heldElsewhere        func(string) bool
}

func (o AcquireOptions) evictRule() evictRule {
	if o.EvictIdleFor <= 0 {
		return evictRule{}
	}
	return evictRule{idleFor: o.EvictIdleFor, soleIdleFor: o.EvictSoleIdleFor, heldElsewhere: o.HeldElsewhere}
}

// narrows says whether the rule restricts eviction at all.
func (r evictRule) narrows() bool { return r.idleFor > 0 }

// allows says whether the rule lets model name go at now: any model when it does
// not narrow; otherwise one not hinted and unused for the rule's idle
// time, the longer one for the cluster's last copy.
func (r evictRule) allows(info *modelInfo, name string, now time.Time) bool {
	if !r.narrows() {
		return true
	}
	if info.hinted {
		return false
	}
	switch {
	case info.lastUse.After(now.Add(-r.idleFor)):
		return false
	case r.soleIdleFor <= r.idleFor || r.heldElsewhere == nil || !info.lastUse.After(now.Add(-r.soleIdleFor)):
		return true
	}
	return r.heldElsewhere(name) // asked only where the answer decides
}

// New builds a cache. It validates cfg and registers the metrics.
func New[M Resident](cfg Config, deps Deps[M]) (*Cache[M], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := deps.fill(); err != nil {
		return nil, err
	}
	base, stop := context.WithCancel(context.Background())
	c := &Cache[M]{
		cfg: cfg, deps: deps, start: deps.Clock.Now(),
		slots: make(chan struct{}, cfg.MaxConcurrentLoads),
		base:  base, stopLoad: stop,
		entries: make(map[string]*entry[M]),
		known:   make(map[string]*modelInfo),
		roomC:   make(chan struct{}),
		history: newRing(cfg.HistorySize),
	}
	m, err := newMetrics(deps.Registerer, cfg, c.gauges)
	if err != nil {
		stop()
		return nil, err
	}
	c.metrics = m
	return c, nil
}

// Acquire returns a handle on the loaded model name, loading it on a miss.
// ctx bounds the wait (queueing, room and load); the handle must be
// released. Errors: ErrTooLarge, ErrNoCapacity (may also wrap ctx's error),
// BackoffError, ErrClosed, ctx's error, or the loader's error.
func (c *Cache[M]) Acquire(ctx context.Context, name string, opts AcquireOptions) (*Handle[M], error) {
	return c.acquire(ctx, name, opts, true)
}

// acquire serves Acquire, and Pin with request false: a pin is no request,
// so it counts no hit or miss (in the metrics, the per-model counts and the
// history) and only requests' figures give the miss ratio.
func (c *Cache[M]) acquire(ctx context.Context, name string, opts AcquireOptions, request bool) (*Handle[M], error) {
	began := c.deps.Clock.Now()
	c.mu.Lock()
	if e := c.entries[name]; e != nil && e.phase == phaseLoaded && !c.closed {
		h := c.hitLocked(e, began, request)
		c.mu.Unlock()
		return h, nil
	}
	e, err := c.missLocked(name, opts, request)
	c.mu.Unlock()
	if err == nil {
		var h *Handle[M]
		h, err = c.wait(ctx, e)
		if request {
			c.record(name, began, false, err)
		}
		if err == nil {
			return h, nil
		}
	}
	c.metrics.acquireErrors.WithLabelValues(errorReason(err)).Inc()
	return nil, err
}

// hitLocked serves a hit; request says whether to count it.
func (c *Cache[M]) hitLocked(e *entry[M], began time.Time, request bool) *Handle[M] {
	e.refs++
	e.info.lastUse = began
	c.deps.Policy.OnAccess(c.policyEntry(e.info, e.charged, 1), c.since(began), true)
	if request {
		e.info.hits++
		c.history.add(Record{Model: e.name, Time: began, Hit: true, Latency: c.deps.Clock.Now().Sub(began)})
		c.metrics.hits.Inc()
	}
	return &Handle[M]{c: c, e: e, hit: true}
}

// missLocked joins the entry being loaded, or starts a load; request says
// whether to count the miss.
func (c *Cache[M]) missLocked(name string, opts AcquireOptions, request bool) (*entry[M], error) {
	if c.closed {
		return nil, ErrClosed
	}
	info, err := c.info(name)
	if err != nil {
		return nil, err
	}
	e := c.entries[name]
	if e == nil {
		now := c.deps.Clock.Now()
		if err := c.backoffLocked(name, info, now); err != nil {
			return nil, err
		}
		est := c.estimate(info, opts)
		if err := c.checkSize(name, est, info.wasMeasured); err != nil {
			return nil, err
		}
		e = c.startLoadLocked(name, info, est, request)
		e.evict = opts.evictRule() // the load takes c.mu before it evicts
	} else if opts.EvictIdleFor <= 0 {
		e.evict = evictRule{}
	}
	e.waiters++
	info.lastUse = c.deps.Clock.Now()
	c.deps.Policy.OnAccess(c.policyEntry(info, c.estimate(info, opts), e.cached), c.since(info.lastUse), false)
	if request {
		info.misses++
		c.metrics.misses.Inc()
	}
	return e, nil
}

// estimate is the room to make before loading: the measured estimate, else
// the caller's hint. A hint is a guess (the node's is the file size times
// a factor, while a fast-form model is charged a fraction of its file), so
// one above the budget is cut to the budget rather than refused: the load
// measures the truth.
func (c *Cache[M]) estimate(info *modelInfo, opts AcquireOptions) usage {
	if info.wasMeasured {
		return info.measured
	}
	limit := c.cfg.capacity()
	return usage{host: min(max(opts.SizeHintBytes, 0), limit.host), gpu: min(max(opts.GPUSizeHintBytes, 0), limit.gpu)}
}

// checkSize refuses a model larger than the whole budget.
func (c *Cache[M]) checkSize(name string, u usage, measured bool) error {
	switch limit := c.cfg.capacity(); {
	case u.host > limit.host:
		return &TooLargeError{Model: name, Bytes: u.host, CapacityBytes: limit.host, Measured: measured}
	case u.gpu > limit.gpu:
		return &TooLargeError{Model: name, Bytes: u.gpu, CapacityBytes: limit.gpu, Measured: measured, GPU: true}
	}
	return nil
}

// policyEntry describes a model to the policy. Its size is the GPU memory
// when a GPU budget is set (the scarcer pool), else host memory; its load
// cost is that of a load with the share cached of its weights in the page
// cache (1 for a loaded model, whose weights are; loadcost.go).
func (c *Cache[M]) policyEntry(info *modelInfo, u usage, cached float64) policy.Entry {
	return policy.Entry{Key: info.key, SizeBytes: c.policySize(u), LoadCost: c.loadCost(info, cached)}
}

// policySize is u in the dimension the policy ranks by.
func (c *Cache[M]) policySize(u usage) int64 {
	if c.cfg.GPUCapacityBytes > 0 {
		return u.gpu
	}
	return u.host
}

// wait blocks until e's load ends or ctx ends.
func (c *Cache[M]) wait(ctx context.Context, e *entry[M]) (*Handle[M], error) {
	select {
	case <-e.done:
		return c.collect(e)
	case <-ctx.Done():
		return nil, c.leave(ctx, e)
	}
}

// collect takes the reference of a waiter woken by the end of the load.
func (c *Cache[M]) collect(e *entry[M]) (*Handle[M], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.waiters--
	if e.err != nil {
		return nil, e.err
	}
	e.refs++
	return &Handle[M]{c: c, e: e}, nil
}

// leave withdraws a waiter whose context ended; the last waiter of an
// unfinished load abandons it (see the package comment, step 4).
func (c *Cache[M]) leave(ctx context.Context, e *entry[M]) error {
	c.mu.Lock()
	e.waiters--
	p := e.phase
	var drop *entry[M]
	if e.waiters == 0 && p != phaseLoaded {
		c.abandonLocked(e)
	} else if e.idle() && p == phaseLoaded {
		if e.dropping {
			drop = c.detachLocked(e)
		} else {
			c.signalRoomLocked() // it just became evictable
		}
	}
	c.mu.Unlock()
	c.closeDetached(drop, "unload")
	if p == phaseWaitRoom {
		return fmt.Errorf("%w: model %s waited for in-use models to be released: %w", ErrNoCapacity, e.name, ctx.Err())
	}
	return fmt.Errorf("cache: waiting for model %s (%s): %w", e.name, p, ctx.Err())
}

// abandonLocked frees the map slot of a load nobody waits for and cancels it.
func (c *Cache[M]) abandonLocked(e *entry[M]) {
	if c.entries[e.name] == e {
		delete(c.entries, e.name)
	}
	e.detached = true
	e.cancel(errAbandoned)
}

// info returns the facts about name, interning it on first sight.
func (c *Cache[M]) info(name string) (*modelInfo, error) {
	if i := c.known[name]; i != nil {
		return i, nil
	}
	if len(c.known) >= c.cfg.MaxModels {
		return nil, fmt.Errorf("%w: %s would be model %d, MaxModels is %d", ErrTooManyModels, name, len(c.known)+1, c.cfg.MaxModels)
	}
	i := &modelInfo{key: policy.Key(len(c.known))}
	c.known[name] = i
	return i, nil
}

// since is t on the policy's time axis.
func (c *Cache[M]) since(t time.Time) time.Duration { return t.Sub(c.start) }

// record adds a miss to the history.
func (c *Cache[M]) record(name string, began time.Time, hit bool, err error) {
	now := c.deps.Clock.Now()
	c.mu.Lock()
	c.history.add(Record{Model: name, Time: began, Hit: hit, Latency: now.Sub(began), Failed: err != nil})
	c.mu.Unlock()
}
