package policy

// keyHeap is an indexed binary min-heap of keys ordered by a float64
// priority, ties broken by an int64 (older first). It gives the heap-based
// policies O(log n) insert, update and removal of any key.
type keyHeap struct {
	keys []Key
	// pos[k] is k's index in keys, or -1 when k is not in the heap.
	pos  []int32
	prio []float64
	tie  []int64
	// popped is victims' scratch space, reused across calls.
	popped []Key
}

func newKeyHeap(n int) *keyHeap {
	h := &keyHeap{pos: make([]int32, n), prio: make([]float64, n), tie: make([]int64, n)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	return h
}

func (h *keyHeap) Len() int { return len(h.keys) }

func (h *keyHeap) contains(k Key) bool { return h.pos[k] >= 0 }

func (h *keyHeap) less(i, j int) bool {
	a, b := h.keys[i], h.keys[j]
	if h.prio[a] != h.prio[b] {
		return h.prio[a] < h.prio[b]
	}
	if h.tie[a] != h.tie[b] {
		return h.tie[a] < h.tie[b]
	}
	return a < b
}

func (h *keyHeap) swap(i, j int) {
	h.keys[i], h.keys[j] = h.keys[j], h.keys[i]
	h.pos[h.keys[i]] = int32(i)
	h.pos[h.keys[j]] = int32(j)
}

// set inserts k or moves it to its new priority.
func (h *keyHeap) set(k Key, prio float64, tie int64) {
	h.prio[k], h.tie[k] = prio, tie
	i := int(h.pos[k])
	if i < 0 {
		i = len(h.keys)
		h.keys = append(h.keys, k)
		h.pos[k] = int32(i)
		h.up(i)
		return
	}
	if !h.down(i) {
		h.up(i)
	}
}

// remove deletes k if present.
func (h *keyHeap) remove(k Key) {
	i := int(h.pos[k])
	if i < 0 {
		return
	}
	last := len(h.keys) - 1
	if i != last {
		h.swap(i, last)
	}
	h.keys = h.keys[:last]
	h.pos[k] = -1
	if i != last && !h.down(i) {
		h.up(i)
	}
}

// pop removes and returns the minimum key.
func (h *keyHeap) pop() Key {
	k := h.keys[0]
	h.remove(k)
	return k
}

func (h *keyHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *keyHeap) down(i0 int) bool {
	i, n := i0, len(h.keys)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// victims pops keys in priority order, skipping those evictable rejects,
// until at least need bytes are chosen or the heap runs out, then restores
// the heap: the caller's OnRemove takes the chosen keys out.
func (h *keyHeap) victims(need int64, size []int64, evictable func(Key) bool) []Key {
	return h.appendVictims(nil, need, size, evictable)
}

// appendVictims is victims appending to dst, for callers that reuse it.
func (h *keyHeap) appendVictims(dst []Key, need int64, size []int64, evictable func(Key) bool) []Key {
	popped := h.popped[:0]
	var freed int64
	for freed < need && h.Len() > 0 {
		k := h.pop()
		popped = append(popped, k)
		if evictable != nil && !evictable(k) {
			continue
		}
		dst = append(dst, k)
		freed += size[k]
	}
	for _, k := range popped {
		h.set(k, h.prio[k], h.tie[k])
	}
	h.popped = popped
	return dst
}
