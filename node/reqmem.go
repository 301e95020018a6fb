package node

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// requestMemory bounds the bytes that requests in flight hold (their
// decoded tensors, or for gRPC their message): a request that would take
// the total over the budget is refused at once, never queued, so a burst
// of large requests answers 429 / RESOURCE_EXHAUSTED instead of growing
// the process.
type requestMemory struct {
	sem   *semaphore.Weighted
	limit int64
	held  atomic.Int64 // bytes charged now, for tests and metrics
}

func newRequestMemory(limit int64) *requestMemory {
	return &requestMemory{sem: semaphore.NewWeighted(limit), limit: limit}
}

// charge starts one request's account; release it when the request ends.
func (m *requestMemory) charge() *charge { return &charge{m: m} }

// charge is one request's share of the budget. One goroutine uses it.
type charge struct {
	m     *requestMemory
	bytes int64
}

// Reserve adds n bytes to the request's share, or fails without waiting:
// ErrTooLarge when the request alone needs more than the whole budget,
// ErrRequestMemory when the budget is taken by other requests now.
func (c *charge) Reserve(n int64) error {
	if n <= 0 {
		return nil
	}
	if c.bytes+n > c.m.limit {
		return fmt.Errorf("%w: it needs more than the request memory budget of %d bytes", ErrTooLarge, c.m.limit)
	}
	if !c.m.sem.TryAcquire(n) {
		return fmt.Errorf("%w (%d bytes asked)", ErrRequestMemory, n)
	}
	c.bytes += n
	c.m.held.Add(n)
	return nil
}

// release gives the request's share back; the charge may be used again.
func (c *charge) release() {
	if c.bytes == 0 {
		return
	}
	c.m.sem.Release(c.bytes)
	c.m.held.Add(-c.bytes)
	c.bytes = 0
}
