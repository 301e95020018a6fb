package cache_test

import (
	"context"
	"fmt"

	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/policy"
)

// blob stands in for a loaded model: the node adapts runtime.Model instead
// (MemoryBytes is its Profile().MemoryBytes).
type blob struct{ bytes []byte }

func (b *blob) MemoryBytes() int64 { return int64(len(b.bytes)) }
func (b *blob) Close() error       { return nil }

// The node builds one cache, acquires a model per request and releases it
// when the response is written.
func Example() {
	loader := cache.LoaderFunc[*blob](func(_ context.Context, name string) (*blob, error) {
		return &blob{bytes: make([]byte, 300)}, nil
	})
	cfg := cache.DefaultConfig()
	cfg.CapacityBytes, cfg.MaxModels = 1000, 16
	// The cache hands the policy keys 0..MaxModels-1; sizes are learnt as
	// models load.
	keys := make([]policy.Entry, cfg.MaxModels)
	for i := range keys {
		keys[i].Key = policy.Key(i)
	}
	lru, err := policy.New("lru", keys)
	if err != nil {
		panic(err)
	}
	c, err := cache.New(cfg, cache.Deps[*blob]{Loader: loader, Policy: lru})
	if err != nil {
		panic(err)
	}
	defer c.Close(context.Background())

	ctx := context.Background()
	for _, name := range []string{"a", "b", "c", "a", "d"} {
		h, err := c.Acquire(ctx, name, cache.AcquireOptions{SizeHintBytes: 300})
		if err != nil {
			panic(err)
		}
		// ... run h.Model() ...
		h.Release()
	}
	for _, m := range c.Status().Models {
		fmt.Println(m.Name, m.Bytes, m.Hits, m.Misses)
	}
	// Output:
	// a 300 1 1
	// c 300 0 1
	// d 300 0 1
}
