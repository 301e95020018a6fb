package cache

import "context"

// Pin loads name if needed and keeps it resident until Unpin or Unload
// (Triton's repository load). It fails as Acquire does, but counts no hit
// or miss: those are the requests' figures.
func (c *Cache[M]) Pin(ctx context.Context, name string, opts AcquireOptions) error {
	h, err := c.acquire(ctx, name, opts, false)
	if err != nil {
		return err
	}
	c.mu.Lock()
	// An Unload between the Acquire and here took the model out of the
	// cache: the unload wins, and the detached copy closes on Release.
	if !h.e.detached {
		h.e.pinned = true
		h.e.dropping = false
	}
	c.mu.Unlock()
	h.Release()
	return nil
}

// Unpin makes name evictable again. It reports whether name was resident.
func (c *Cache[M]) Unpin(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[name]
	if e == nil {
		return false
	}
	e.pinned = false
	c.signalRoomLocked()
	return true
}

// Unload removes name (Triton's repository unload): it unpins it and takes
// a loaded model out of the cache at once, so that no new request is
// served from it (a later request loads it afresh); the model closes now
// when idle, or when its last user releases it, and its memory stays
// charged until then. A load in progress is unloaded once its waiters have
// released it. It reports whether name was resident or loading.
func (c *Cache[M]) Unload(name string) bool {
	c.mu.Lock()
	e := c.entries[name]
	if e == nil {
		c.mu.Unlock()
		return false
	}
	e.pinned = false
	e.dropping = true
	var drop *entry[M]
	if e.phase == phaseLoaded {
		c.detachLocked(e)
		if e.idle() {
			drop = e
		}
	}
	c.mu.Unlock()
	c.closeDetached(drop, "unload")
	return true
}

// Resident reports whether name is loaded and serving here now.
func (c *Cache[M]) Resident(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[name]
	return e != nil && e.phase == phaseLoaded
}
