package cache

import (
	"context"
	"fmt"
)

// Close stops the cache for a drain: new Acquires fail with ErrClosed, loads
// in progress are cancelled (their waiters get ErrClosed), idle models are
// unloaded now and in-use ones when their last handle is released. It
// returns when every model is closed, or with ctx's error, in which case the
// remaining models are still closed on release.
func (c *Cache[M]) Close(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	var idle []*entry[M]
	for _, e := range c.entries {
		e.pinned, e.dropping = false, true
		if e.phase == phaseLoaded && e.idle() {
			idle = append(idle, c.detachLocked(e))
		}
	}
	c.mu.Unlock()
	c.stopLoad()
	c.closeAll(idle, "close")
	return c.drain(ctx)
}

// drain waits until nothing is charged any more.
func (c *Cache[M]) drain(ctx context.Context) error {
	for {
		c.mu.Lock()
		if c.used == (usage{}) && len(c.entries) == 0 {
			c.mu.Unlock()
			return nil
		}
		n := len(c.entries)
		roomC := c.awaitRoomLocked()
		c.mu.Unlock()
		if err := c.waitRoom(ctx, roomC, nil); err != nil {
			return fmt.Errorf("cache: close with %d models still in use: %w", n, err)
		}
	}
}
