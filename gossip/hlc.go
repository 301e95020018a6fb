package gossip

import (
	"sync"
	"time"
)

// hlc is a hybrid logical clock: a stamp is wall-clock milliseconds shifted
// left 16 bits plus a counter, never below any stamp seen, so stamps follow
// causality across nodes and stay close to real time.
type hlc struct {
	now func() time.Time
	// maxSkew bounds how far ahead of this clock a remote stamp may be; a
	// stamp further ahead (a clock gone wrong) is not adopted.
	maxSkew time.Duration

	mu   sync.Mutex
	last uint64 // guarded by mu
}

const hlcShift = 16

// stampAt is the first stamp of wall-clock time t.
func stampAt(t time.Time) uint64 { return uint64(t.UnixMilli()) << hlcShift }

// stampTime is the wall-clock part of a stamp.
func stampTime(s uint64) time.Time { return time.UnixMilli(int64(s >> hlcShift)) }

// Now returns a stamp above every stamp Now returned or Observe saw.
func (c *hlc) Now() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pt := stampAt(c.now()); pt > c.last {
		c.last = pt
	} else {
		c.last++
	}
	return c.last
}

// Observe moves the clock past a remote stamp; false if the stamp is more
// than maxSkew ahead of this clock's wall time (it is then not adopted).
func (c *hlc) Observe(s uint64) bool {
	if s > stampAt(c.now().Add(c.maxSkew)) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s > c.last {
		c.last = s
	}
	return true
}
