package cache

import "time"

// Record is one admitted request, as kept in the history ring.
type Record struct {
	Model string
	// Time is when the request arrived.
	Time time.Time
	// Hit is true when the model was loaded on arrival.
	Hit bool
	// Latency is the time Acquire took (the miss cost, for a miss).
	Latency time.Duration
	// Failed is true when Acquire returned an error.
	Failed bool
}

// ring is a fixed-size history of requests, oldest overwritten first.
// Guarded by Cache.mu.
type ring struct {
	buf  []Record
	next int  // where the next record goes
	full bool // buf has wrapped
}

func newRing(size int) *ring { return &ring{buf: make([]Record, size)} }

func (r *ring) add(rec Record) {
	r.buf[r.next] = rec
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// records returns a copy, oldest first.
func (r *ring) records() []Record {
	if !r.full {
		return append([]Record(nil), r.buf[:r.next]...)
	}
	out := make([]Record, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

// History returns the most recent requests (at most HistorySize), oldest
// first.
func (c *Cache[M]) History() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.history.records()
}
