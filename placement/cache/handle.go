package cache

import "sync/atomic"

// Handle is one request's use of a loaded model. The model stays loaded
// until every handle on it is released.
type Handle[M Resident] struct {
	c        *Cache[M]
	e        *entry[M]
	hit      bool // the model was loaded when asked for
	released atomic.Bool
}

// Hit says whether the Acquire that returned h found the model loaded
// (false: it waited for a load, its own or another request's).
func (h *Handle[M]) Hit() bool { return h.hit }

// Model is the loaded model; do not use it after Release.
func (h *Handle[M]) Model() M { return h.e.model }

// Name is the model's name.
func (h *Handle[M]) Name() string { return h.e.name }

// Release ends the use. Releasing twice is a no-op. When it was the last
// use of a model marked for unloading, Release closes the model before it
// returns.
func (h *Handle[M]) Release() {
	if h.released.Swap(true) {
		return
	}
	h.c.release(h.e)
}

// release drops a reference; the last one may free room or finish an
// unload.
func (c *Cache[M]) release(e *entry[M]) {
	c.mu.Lock()
	e.refs--
	var drop *entry[M]
	if e.idle() {
		if e.dropping {
			drop = c.detachLocked(e)
		} else {
			c.signalRoomLocked()
		}
	}
	c.mu.Unlock()
	c.closeDetached(drop, "unload")
}
