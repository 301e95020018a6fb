package sim

import (
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// testLRU is a test-only LRU over dense slices (an intrusive doubly linked
// list), kept here so that the engine's tests do not depend on the policy
// package's implementations.
type testLRU struct {
	prev, next []policy.Key
	in         []bool
	size       []int64
	head, tail policy.Key // head is most recent; -1 when empty
	victims    []policy.Key
}

func newTestLRU(models int) *testLRU {
	return &testLRU{
		prev: make([]policy.Key, models), next: make([]policy.Key, models),
		in: make([]bool, models), size: make([]int64, models), head: -1, tail: -1,
	}
}

func (l *testLRU) Name() string { return "test-lru" }

func (l *testLRU) OnAccess(e policy.Entry, _ time.Duration, hit bool) {
	if hit {
		l.unlink(e.Key)
		l.pushFront(e.Key)
	}
}

func (l *testLRU) OnInsert(e policy.Entry, _ time.Duration) {
	l.size[e.Key] = e.SizeBytes
	l.pushFront(e.Key)
}

func (l *testLRU) OnRemove(k policy.Key) { l.unlink(k) }

func (l *testLRU) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	l.victims = l.victims[:0]
	for k := l.tail; k >= 0 && need > 0; k = l.prev[k] {
		if evictable(k) {
			l.victims = append(l.victims, k)
			need -= l.size[k]
		}
	}
	return l.victims
}

func (l *testLRU) pushFront(k policy.Key) {
	l.in[k] = true
	l.prev[k], l.next[k] = -1, l.head
	if l.head >= 0 {
		l.prev[l.head] = k
	}
	l.head = k
	if l.tail < 0 {
		l.tail = k
	}
}

func (l *testLRU) unlink(k policy.Key) {
	if !l.in[k] {
		return
	}
	l.in[k] = false
	if p := l.prev[k]; p >= 0 {
		l.next[p] = l.next[k]
	} else {
		l.head = l.next[k]
	}
	if n := l.next[k]; n >= 0 {
		l.prev[n] = l.prev[k]
	} else {
		l.tail = l.prev[k]
	}
}
