package store

import "sync"

// holds counts the commits in progress per blob: between placing a blob
// and committing its record, a commit holds it so GC keeps it (and the
// prepared forms a commit check writes for it).
type holds struct {
	mu sync.Mutex // guards n
	n  map[Digest]int
}

func (h *holds) add(d Digest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[Digest]int{}
	}
	h.n[d]++
}

func (h *holds) drop(d Digest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n[d]--; h.n[d] <= 0 {
		delete(h.n, d)
	}
}

func (h *holds) snapshot() map[Digest]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[Digest]bool, len(h.n))
	for d := range h.n {
		out[d] = true
	}
	return out
}
