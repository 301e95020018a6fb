package policy

import "time"

// LRU evicts the least recently used model. Its recency list is a doubly
// linked list over dense per-key slices: O(1) per request.
type LRU struct {
	t table
	// prev and next link resident keys; head is the most recent, -1 ends.
	prev, next []Key
	in         []bool
	head, tail Key
}

// NewLRU returns an LRU policy over models.
func NewLRU(models []Entry) (*LRU, error) {
	t, err := newTable(models)
	if err != nil {
		return nil, err
	}
	n := len(models)
	return &LRU{t: t, prev: make([]Key, n), next: make([]Key, n), in: make([]bool, n), head: -1, tail: -1}, nil
}

// Name implements Policy.
func (p *LRU) Name() string { return "lru" }

// OnAccess moves a resident model to the front.
func (p *LRU) OnAccess(e Entry, _ time.Duration, hit bool) {
	if hit && p.in[e.Key] {
		p.unlink(e.Key)
		p.pushFront(e.Key)
	}
}

// OnInsert puts e at the front.
func (p *LRU) OnInsert(e Entry, _ time.Duration) {
	p.t.learn(e)
	if p.in[e.Key] {
		p.unlink(e.Key)
	}
	p.pushFront(e.Key)
}

// OnRemove drops k from the list.
func (p *LRU) OnRemove(k Key) {
	if p.in[k] {
		p.unlink(k)
	}
}

// Victims walks from the least recent end.
func (p *LRU) Victims(need int64, _ time.Duration, evictable func(Key) bool) []Key {
	var out []Key
	var freed int64
	for k := p.tail; k >= 0 && freed < need; k = p.prev[k] {
		if evictable != nil && !evictable(k) {
			continue
		}
		out = append(out, k)
		freed += p.t.size[k]
	}
	return out
}

func (p *LRU) pushFront(k Key) {
	p.in[k] = true
	p.prev[k], p.next[k] = -1, p.head
	if p.head >= 0 {
		p.prev[p.head] = k
	}
	p.head = k
	if p.tail < 0 {
		p.tail = k
	}
}

func (p *LRU) unlink(k Key) {
	p.in[k] = false
	if p.prev[k] >= 0 {
		p.next[p.prev[k]] = p.next[k]
	} else {
		p.head = p.next[k]
	}
	if p.next[k] >= 0 {
		p.prev[p.next[k]] = p.prev[k]
	} else {
		p.tail = p.prev[k]
	}
}
