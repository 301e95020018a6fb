package cache

import (
	"context"
	"sync"
	"testing"
)

// BenchmarkAcquireReleaseHit measures the hit path: Acquire and Release of
// a loaded model from parallel requests.
func BenchmarkAcquireReleaseHit(b *testing.B) {
	l := newFakeLoader(nil, 100)
	c, err := New(testConfig(1<<20), Deps[*fakeModel]{Loader: l, Policy: newPolicy(b, "lru")})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx := context.Background()
	h, err := c.Acquire(ctx, "m", AcquireOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h.Release()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h, err := c.Acquire(ctx, "m", AcquireOptions{})
			if err != nil {
				b.Error(err)
				return
			}
			h.Release()
		}
	})
}

// BenchmarkBaselineLockedMapLookup is the least a shared cache costs: a
// locked map lookup and a reference count, taken and returned.
func BenchmarkBaselineLockedMapLookup(b *testing.B) {
	var mu sync.Mutex
	refs := map[string]int{"m": 0}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			refs["m"]++
			mu.Unlock()
			mu.Lock()
			refs["m"]--
			mu.Unlock()
		}
	})
}
