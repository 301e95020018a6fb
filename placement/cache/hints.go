package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// The policy is not safe for concurrent use and the cache serialises its
// calls under mu, so placement hints and peer copies reach it through the
// cache.

// SetHint records a placement hint for name: 0 is neutral, larger keeps
// the model longer. Whatever the policy, the cache then evicts a hinted
// model only when the idle models that are not hinted cannot make the
// room; a policy that follows hints (policy.Hinted) also weighs it. It
// reports whether name could be recorded (false past MaxModels).
func (c *Cache[M]) SetHint(name string, weight float64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	info, err := c.info(name)
	if err != nil {
		return false
	}
	info.hinted = weight > 0
	if h, ok := c.deps.Policy.(policy.Hinted); ok {
		h.SetHint(info.key, weight)
	}
	return true
}

// Preload loads name if it is not resident, counting no request (a hit
// or miss is a request's figure), and leaves it evictable: a placement
// hint's copy. It fails as Acquire does.
func (c *Cache[M]) Preload(ctx context.Context, name string, opts AcquireOptions) error {
	if opts.EvictIdleFor > 0 && !c.coldRoomFor(name, opts) {
		return fmt.Errorf("%w: %w: model %s: models unused for %v cannot make the room", ErrNoCapacity, ErrDeclined, name, opts.EvictIdleFor)
	}
	h, err := c.acquire(ctx, name, opts, false)
	if err != nil {
		return err
	}
	h.Release()
	return nil
}

// SetPeerCopy tells a peer-aware policy (policy.PeerAware) that a peer
// holds a loaded copy of name rtt away (rtt <= 0: none does). It reports
// whether the policy took it.
func (c *Cache[M]) SetPeerCopy(name string, rtt time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.deps.Policy.(policy.PeerAware)
	if !ok {
		return false
	}
	info, err := c.info(name)
	if err != nil {
		return false
	}
	p.SetPeerCopy(info.key, rtt)
	return true
}

// coldRoomFor says whether name is resident or loading, or its estimate
// fits in free memory plus that of the idle models opts' eviction rule
// lets go (not hinted, unused for opts.EvictIdleFor, or EvictSoleIdleFor
// for the cluster's last copy): a preload that cannot make room is declined here,
// before it takes a load slot (the load decides again, as it makes the
// room).
func (c *Cache[M]) coldRoomFor(name string, opts AcquireOptions) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[name] != nil {
		return true
	}
	info, err := c.info(name)
	if err != nil {
		return true // acquire says why
	}
	over := c.used.plus(c.estimate(info, opts)).excess(c.limitLocked())
	rule, at := opts.evictRule(), c.deps.Clock.Now()
	var freed usage
	for _, e := range c.entries {
		if e.evictable() && rule.allows(e.info, e.name, at) {
			freed = freed.plus(e.charged)
		}
	}
	return freed.covers(over)
}
