package cache

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// reserve charges est bytes for e, evicting policy victims, or waiting up to
// RoomWait for in-use models to be released.
func (c *Cache[M]) reserve(e *entry[M], est int64) error {
	var timeout <-chan time.Time
	for {
		c.mu.Lock()
		over := c.usedBytes + est - c.cfg.CapacityBytes
		if over <= 0 {
			c.usedBytes += est
			e.charged, e.phase = est, phaseLoading
			c.mu.Unlock()
			return nil
		}
		if victims := c.victimsLocked(over); victims != nil {
			c.mu.Unlock()
			c.closeAll(victims, "evict")
			continue
		}
		if c.cfg.RoomWait == 0 {
			c.mu.Unlock()
			return fmt.Errorf("%w: model %s needs %d more bytes and every resident model is in use or pinned", ErrNoCapacity, e.name, over)
		}
		if timeout == nil {
			timeout = time.After(c.cfg.RoomWait)
		}
		e.phase = phaseWaitRoom
		roomC := c.awaitRoomLocked()
		c.mu.Unlock()
		if err := c.waitRoom(e.ctx, roomC, timeout); err != nil {
			return fmt.Errorf("%w: model %s needs %d more bytes: %w", ErrNoCapacity, e.name, over, err)
		}
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

// victimsLocked asks the policy for idle models freeing at least need
// bytes and detaches them; nil when the policy cannot cover need.
func (c *Cache[M]) victimsLocked(need int64) []*entry[M] {
	byKey := make(map[policy.Key]*entry[M])
	for _, e := range c.entries {
		if e.evictable() {
			byKey[e.info.key] = e
		}
	}
	if len(byKey) == 0 {
		return nil
	}
	keys := c.deps.Policy.Victims(need, c.since(c.deps.Clock.Now()), func(k policy.Key) bool {
		return byKey[k] != nil
	})
	var freed int64
	var out []*entry[M]
	for _, k := range keys {
		if e := byKey[k]; e != nil {
			freed += e.charged
			out = append(out, e)
			delete(byKey, k) // a policy repeating a key frees nothing more
		}
	}
	if freed < need {
		return nil
	}
	for _, e := range out {
		c.detachLocked(e)
	}
	return out
}

// detachLocked takes e out of the map and the policy; its charge stays until
// closeDetached has closed it.
func (c *Cache[M]) detachLocked(e *entry[M]) *entry[M] {
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
	c.usedBytes -= e.charged
	e.charged = 0
	c.signalRoomLocked()
	c.mu.Unlock()
	c.metrics.evictions.WithLabelValues(reason).Inc()
	c.deps.Logger.Debug("model unloaded", zap.String("model", e.name), zap.String("reason", reason))
}
