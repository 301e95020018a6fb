package offline

// maxHeap is an indexed binary max-heap of models by an int64 priority.
type maxHeap struct {
	items []int32
	pos   []int32 // -1 when absent
	prio  []int64
}

func newMaxHeap(n int) *maxHeap {
	h := &maxHeap{pos: make([]int32, n), prio: make([]int64, n)}
	for i := range h.pos {
		h.pos[i] = -1
	}
	return h
}

func (h *maxHeap) len() int { return len(h.items) }

func (h *maxHeap) top() int32 { return h.items[0] }

func (h *maxHeap) contains(k int32) bool { return h.pos[k] >= 0 }

func (h *maxHeap) less(i, j int) bool { return h.prio[h.items[i]] > h.prio[h.items[j]] }

func (h *maxHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i]], h.pos[h.items[j]] = int32(i), int32(j)
}

func (h *maxHeap) set(k int32, prio int64) {
	h.prio[k] = prio
	i := int(h.pos[k])
	if i < 0 {
		i = len(h.items)
		h.items = append(h.items, k)
		h.pos[k] = int32(i)
	}
	h.fix(i)
}

func (h *maxHeap) remove(k int32) {
	i := int(h.pos[k])
	last := len(h.items) - 1
	h.swap(i, last)
	h.items = h.items[:last]
	h.pos[k] = -1
	if i < last {
		h.fix(i)
	}
}

func (h *maxHeap) fix(i int) {
	for i > 0 && h.less(i, (i-1)/2) {
		h.swap(i, (i-1)/2)
		i = (i - 1) / 2
	}
	for {
		l, j := 2*i+1, i
		if l < len(h.items) && h.less(l, j) {
			j = l
		}
		if l+1 < len(h.items) && h.less(l+1, j) {
			j = l + 1
		}
		if j == i {
			return
		}
		h.swap(i, j)
		i = j
	}
}
