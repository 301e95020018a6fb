package cache

import (
	"slices"
	"time"

	"github.com/edgeserve/edgeserve/placement/policy"
)

// testLRU is a least-recently-used policy for these tests only (the real
// policies live in placement/policy). Recency is an access counter, so it
// does not depend on the clock.
type testLRU struct {
	tick     int64
	lastUse  map[policy.Key]int64
	size     map[policy.Key]int64
	resident map[policy.Key]bool
}

func newTestLRU() *testLRU {
	return &testLRU{lastUse: map[policy.Key]int64{}, size: map[policy.Key]int64{}, resident: map[policy.Key]bool{}}
}

func (p *testLRU) Name() string { return "test-lru" }

func (p *testLRU) OnAccess(e policy.Entry, _ time.Duration, _ bool) {
	p.tick++
	p.lastUse[e.Key] = p.tick
}

func (p *testLRU) OnInsert(e policy.Entry, _ time.Duration) {
	p.resident[e.Key] = true
	p.size[e.Key] = e.SizeBytes
}

func (p *testLRU) OnRemove(k policy.Key) { delete(p.resident, k) }

func (p *testLRU) Victims(need int64, _ time.Duration, evictable func(policy.Key) bool) []policy.Key {
	var keys []policy.Key
	for k := range p.resident {
		if evictable(k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b policy.Key) int { return int(p.lastUse[a] - p.lastUse[b]) })
	var out []policy.Key
	var freed int64
	for _, k := range keys {
		if freed >= need {
			break
		}
		out = append(out, k)
		freed += p.size[k]
	}
	return out
}
