package cache

import (
	"context"
	"sync"
	"testing"
)

// TestForRequest: the loader learns from its context whether a request
// waits for the load (Acquire) or not (Pin), so that it can skip a warm-up
// run on a miss.
func TestForRequest(t *testing.T) {
	fake := newFakeLoader(nil, 10)
	var mu sync.Mutex
	kinds := map[string]bool{}
	loader := LoaderFunc[*fakeModel](func(ctx context.Context, name string) (*fakeModel, error) {
		mu.Lock()
		kinds[name] = ForRequest(ctx)
		mu.Unlock()
		return fake.Load(ctx, name)
	})
	c, err := New(testConfig(1000), Deps[*fakeModel]{Loader: loader, Policy: newPolicy(t, "lru")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	h, err := c.Acquire(context.Background(), "requested", AcquireOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.Release()
	if err := c.Pin(context.Background(), "pinned", AcquireOptions{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := map[string]bool{"requested": true, "pinned": false}; len(kinds) != 2 || kinds["requested"] != want["requested"] || kinds["pinned"] != want["pinned"] {
		t.Fatalf("ForRequest per load = %v, want %v", kinds, want)
	}
	if ForRequest(context.Background()) {
		t.Fatal("ForRequest outside a load = true")
	}
}
