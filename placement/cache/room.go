package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// reserve charges est bytes for e, which holds no charge, evicting policy
// victims, or waiting up to RoomWait (and within the load's context, which
// ends when every request waiting for it has left) for in-use models to be
// released. A waiting load holds no charge, so waiting loads never wait for
// each other.
func (c *Cache[M]) reserve(e *entry[M], est usage) error {
	var timeout <-chan time.Time
	for {
		c.mu.Lock()
		over := c.used.plus(est).excess(c.limitLocked())
		if over == (usage{}) {
			c.commitChargeLocked(e, est)
			c.mu.Unlock()
			return nil
		}
		victims, err := c.victimsLocked(over, e.evict)
		if err == nil {
			c.mu.Unlock()
			c.closeAll(victims, "evict")
			continue
		}
		if errors.Is(err, ErrDeclined) || c.cfg.RoomWait == 0 {
			c.mu.Unlock()
			return fmt.Errorf("%w: model %s needs %v more (in use, pinned or kept by the policy)", err, e.name, over)
		}
		if timeout == nil {
			timeout = time.After(c.cfg.RoomWait)
		}
		e.phase = phaseWaitRoom
		roomC := c.awaitRoomLocked()
		c.mu.Unlock()
		if err := c.waitRoom(e.ctx, roomC, timeout); err != nil {
			return fmt.Errorf("%w: model %s needs %v more: %w", ErrNoCapacity, e.name, over, err)
		}
	}
}

// commitChargeLocked sets e's charge to want and wakes room waiters when
// that frees memory.
func (c *Cache[M]) commitChargeLocked(e *entry[M], want usage) {
	freed := e.charged.host > want.host || e.charged.gpu > want.gpu
	c.used = c.used.minus(e.charged).plus(want)
	e.charged, e.phase = want, phaseLoading
	if freed {
		c.signalRoomLocked()
	}
}

// awaitRoomLocked registers a waiter for room and returns the channel that
// will be closed when room may have been freed.
func (c *Cache[M]) awaitRoomLocked() <-chan struct{} {
	c.roomWaiters++
	return c.roomC
}

// waitRoom waits for a room signal; it deregisters the waiter.
func (c *Cache[M]) waitRoom(ctx context.Context, roomC <-chan struct{}, timeout <-chan time.Time) error {
	var err error
	select {
	case <-roomC:
	case <-ctx.Done():
		err = context.Cause(ctx)
	case <-timeout:
		err = fmt.Errorf("no model released within %v", c.cfg.RoomWait)
	}
	c.mu.Lock()
	c.roomWaiters--
	c.mu.Unlock()
	return err
}

// signalRoomLocked wakes every room waiter.
func (c *Cache[M]) signalRoomLocked() {
	if c.roomWaiters == 0 {
		return
	}
	close(c.roomC)
	c.roomC = make(chan struct{})
}

// victimsLocked asks the policy for idle models freeing at least need and
// detaches them; nil when the policy cannot cover need, with ErrDeclined
// when idle models could have covered it but the policy chose not to
// (admission control), else with ErrNoCapacity. With idleFor > 0 only
// models not hinted and unused for idleFor count (a preload's rule), and
// a shortfall is declined. The policy sizes
// models in one dimension (see policyEntry); the other dimension's shortfall
// is covered by taking the policy's next victims one at a time.
func (c *Cache[M]) victimsLocked(need usage, rule evictRule) ([]*entry[M], error) {
	byKey := make(map[policy.Key]*entry[M])
	var idle, unhinted usage
	at := c.deps.Clock.Now()
	for _, e := range c.entries {
		if !rule.allows(e.info, e.name, at) {
			continue
		}
		if e.evictable() {
			byKey[e.info.key] = e
			idle = idle.plus(e.charged)
			if !e.info.hinted {
				unhinted = unhinted.plus(e.charged)
			}
		}
	}
	if !idle.covers(need) {
		if rule.narrows() {
			return nil, fmt.Errorf("%w: %w: models unused for %v cannot make the room", ErrNoCapacity, ErrDeclined, rule.idleFor)
		}
		return nil, ErrNoCapacity
	}
	if unhinted.covers(need) { // hinted models go only when nothing else will do
		for k, e := range byKey {
			if e.info.hinted {
				delete(byKey, k)
			}
		}
	}
	if !rule.narrows() {
		preferSpare(c.spare, byKey, need, at)
	}
	now := c.since(c.deps.Clock.Now())
	canEvict := func(k policy.Key) bool { return byKey[k] != nil }
	var chosen []*entry[M]
	var freed usage
	take := func(keys []policy.Key) {
		for _, k := range keys {
			if e := byKey[k]; e != nil {
				chosen, freed = append(chosen, e), freed.plus(e.charged)
				delete(byKey, k) // a policy repeating a key frees nothing more
			}
		}
	}
	if primary := c.policySize(need); primary > 0 {
		take(c.deps.Policy.Victims(primary, now, canEvict))
	}
	for !freed.covers(need) && len(byKey) > 0 {
		n := len(chosen)
		keys := c.deps.Policy.Victims(1, now, canEvict)
		take(keys[:min(len(keys), 1)])
		if len(chosen) == n {
			break
		}
	}
	if !freed.covers(need) {
		return nil, fmt.Errorf("%w: %w", ErrNoCapacity, ErrDeclined)
	}
	for _, e := range chosen {
		c.detachLocked(e)
	}
	return chosen, nil
}

// victimPreference is which idle models a request's load evicts first
// (Cache.SetVictimPreference): those cheap says another node serves for
// less than a load, and those unused for idle; the zero preference has
// none.
type victimPreference struct {
	cheap func(name string, loadTime time.Duration) bool
	idle  time.Duration
}

// SetVictimPreference makes a request's load, when the models it may
// evict (after the hinted rule) include enough to make the room that are
// cheap to evict, evict among those only: a model cheap says is cheap
// (given its last load time here, 0 if never measured; another node
// would serve it for less, so its next request here is a forward), or
// one unused for idle. Evicting the cluster's last copy of a model in use
// turns its next request anywhere into a wait for a load. cheap is called
// with the cache's lock held and must not call into the cache; nil
// removes the preference. A preload's narrower rule (EvictIdleFor) is
// unchanged.
func (c *Cache[M]) SetVictimPreference(cheap func(name string, loadTime time.Duration) bool, idle time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spare = victimPreference{cheap: cheap, idle: idle}
}

// preferSpare drops from byKey the models that are not cheap to evict
// under p when the cheap ones make the room need on their own. It asks p
// once per model.
func preferSpare[M Resident](p victimPreference, byKey map[policy.Key]*entry[M], need usage, at time.Time) {
	if p.cheap == nil {
		return
	}
	var dear []policy.Key
	var room usage
	for k, e := range byKey {
		if !e.info.lastUse.After(at.Add(-p.idle)) || p.cheap(e.name, e.info.loadTime) {
			room = room.plus(e.charged)
		} else {
			dear = append(dear, k)
		}
	}
	if !room.covers(need) {
		return
	}
	for _, k := range dear {
		delete(byKey, k)
	}
}

// detachLocked takes e out of the map and the policy; its charge stays until
// closeDetached has closed it.
func (c *Cache[M]) detachLocked(e *entry[M]) *entry[M] {
	if e.detached {
		return e
	}
	if c.entries[e.name] == e {
		delete(c.entries, e.name)
	}
	e.detached = true
	c.deps.Policy.OnRemove(e.info.key)
	return e
}

// closeAll closes detached entries.
func (c *Cache[M]) closeAll(es []*entry[M], reason string) {
	for _, e := range es {
		c.closeDetached(e, reason)
	}
}

// closeDetached closes a detached model, then returns its charge; nil is a
// no-op.
func (c *Cache[M]) closeDetached(e *entry[M], reason string) {
	if e == nil {
		return
	}
	c.closeModel(e.name, e.model)
	c.mu.Lock()
	c.used = c.used.minus(e.charged)
	e.charged = usage{}
	c.signalRoomLocked()
	c.mu.Unlock()
	c.metrics.evictions.WithLabelValues(reason).Inc()
	c.deps.Logger.Debug("model unloaded", zap.String("model", e.name), zap.String("reason", reason))
}
