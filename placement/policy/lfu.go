package policy

import "time"

// LFU evicts the least frequently used model, ties going to the least
// recently used. Counts are kept for the whole history ("perfect" LFU),
// not reset on eviction: a model's popularity outlives its residency,
// which is what model caching (few, large, long-lived objects) wants.
type LFU struct {
	t     table
	count []int64
	last  []int64
	h     *keyHeap
}

// NewLFU returns an LFU policy over models.
func NewLFU(models []Entry) (*LFU, error) {
	t, err := newTable(models)
	if err != nil {
		return nil, err
	}
	n := len(models)
	return &LFU{t: t, count: make([]int64, n), last: make([]int64, n), h: newKeyHeap(n)}, nil
}

// Name implements Policy.
func (p *LFU) Name() string { return "lfu" }

// OnAccess counts the request.
func (p *LFU) OnAccess(e Entry, now time.Duration, _ bool) {
	p.count[e.Key]++
	p.last[e.Key] = int64(now)
	if p.h.contains(e.Key) {
		p.h.set(e.Key, float64(p.count[e.Key]), p.last[e.Key])
	}
}

// OnInsert makes e a candidate for eviction.
func (p *LFU) OnInsert(e Entry, now time.Duration) {
	p.t.learn(e)
	p.h.set(e.Key, float64(p.count[e.Key]), p.last[e.Key])
}

// OnRemove forgets k's residency (its count stays).
func (p *LFU) OnRemove(k Key) { p.h.remove(k) }

// Victims takes the least frequently used first.
func (p *LFU) Victims(need int64, _ time.Duration, evictable func(Key) bool) []Key {
	return p.h.victims(need, p.t.size, evictable)
}
