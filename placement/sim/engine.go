package sim

import (
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// cache is the replayed node's memory: dense per-model state.
type cache struct {
	entries  []policy.Entry
	resident []bool
	// readyAt is when a resident model's load completes.
	readyAt        []time.Duration
	used, capBytes int64
	now            time.Duration
	// instant completes every load at once (Options.InstantLoads).
	instant bool
	// fwd, when set, forwards what this node does not load
	// (Options.Forward); run and lastUse feed its router.
	fwd     *Forward
	run     []time.Duration
	lastUse []time.Duration
	p       policy.Policy
	tally   Tally
	// evictable and isResident are built once so that the hot path does
	// not allocate closures.
	evictable, isResident func(policy.Key) bool
}

// Run replays w against p with a memory budget of capacityBytes and
// returns the summary. w must be valid (see Workload.Validate); p must be
// fresh. Run panics if p names a victim that is not an evictable resident
// model, which is a bug in p.
func Run(w *Workload, p policy.Policy, capacityBytes int64, opts Options) Result {
	c := newCache(w, p, capacityBytes)
	c.instant = opts.InstantLoads
	c.fwd = opts.Forward
	if lt, ok := p.(policy.LoadTimed); ok {
		lt.SetInstantLoads(opts.InstantLoads)
	}
	pre, _ := p.(Preloader)
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1 << 16
	}
	for i, r := range w.Requests {
		c.now = r.Time
		c.serve(policy.Key(r.Model))
		if pre != nil && c.used < c.capBytes {
			c.preload(pre)
		}
		if opts.Progress != nil && (i+1)%every == 0 {
			opts.Progress(i + 1)
		}
	}
	if opts.Progress != nil {
		opts.Progress(len(w.Requests))
	}
	return c.tally.Result(p.Name(), capacityBytes)
}

func newCache(w *Workload, p policy.Policy, capacityBytes int64) *cache {
	n := len(w.Models)
	c := &cache{
		entries:  w.Entries(),
		resident: make([]bool, n),
		readyAt:  make([]time.Duration, n),
		run:      make([]time.Duration, n),
		lastUse:  make([]time.Duration, n),
		capBytes: capacityBytes,
		p:        p,
	}
	for i, m := range w.Models {
		c.run[i] = m.RunTime
	}
	c.tally.delays = make([]time.Duration, 0, len(w.Requests)/8)
	c.evictable = func(k policy.Key) bool { return c.resident[k] && c.readyAt[k] <= c.now }
	c.isResident = func(k policy.Key) bool { return c.resident[k] }
	return c
}

// serve handles one request for k.
func (c *cache) serve(k policy.Key) {
	e := c.entries[k]
	c.lastUse[k] = c.now
	if c.resident[k] {
		c.p.OnAccess(e, c.now, true)
		if wait := c.readyAt[k] - c.now; wait > 0 {
			c.tally.DelayedHit(e.SizeBytes, wait)
		} else {
			c.tally.Hit(e.SizeBytes)
		}
		return
	}
	if c.fwd != nil {
		c.routeMiss(e)
		return
	}
	c.p.OnAccess(e, c.now, false)
	c.tally.Miss(e.SizeBytes, e.LoadCost)
	if e.SizeBytes > c.capBytes || !c.makeRoom(e.SizeBytes) {
		return // served from a transient load, not cached
	}
	c.insert(e)
}

// makeRoom evicts the policy's victims until size bytes are free and
// reports whether they are.
func (c *cache) makeRoom(size int64) bool {
	need := size - (c.capBytes - c.used)
	if need <= 0 {
		return true
	}
	for _, v := range c.p.Victims(need, c.now, c.evictable) {
		if int(v) < 0 || int(v) >= len(c.resident) || !c.evictable(v) {
			panic(fmt.Sprintf("sim: policy %s chose victim %d, which is not an evictable resident model", c.p.Name(), v))
		}
		c.resident[v] = false
		c.used -= c.entries[v].SizeBytes
		c.p.OnRemove(v)
	}
	return c.used+size <= c.capBytes
}

func (c *cache) insert(e policy.Entry) {
	c.resident[e.Key] = true
	c.readyAt[e.Key] = c.now
	if !c.instant {
		c.readyAt[e.Key] += e.LoadCost
	}
	c.used += e.SizeBytes
	c.p.OnInsert(e, c.now)
}

// preload starts the loads pre asks for that fit in free memory.
func (c *cache) preload(pre Preloader) {
	for _, k := range pre.Preload(c.now, c.capBytes-c.used, c.isResident) {
		if int(k) < 0 || int(k) >= len(c.resident) || c.resident[k] {
			continue
		}
		e := c.entries[k]
		if c.used+e.SizeBytes > c.capBytes {
			continue
		}
		c.insert(e)
		c.tally.Preload()
	}
}
