package node

import (
	"context"
	"fmt"
	"time"

	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/runtime"
)

// policyKeys is how many distinct model versions one node process can
// track: placement/policy sizes its per-key tables up front, while the
// cache interns every model version it sees as the next key.
const policyKeys = 1 << 16

// resident adapts a loaded runtime.Model to the cache: it is charged the
// memory the runtime measured for it.
type resident struct{ runtime.Model }

func (r resident) MemoryBytes() int64 { return r.Profile().MemoryBytes }

// placementCache adapts placement/cache to the node's modelCache.
type placementCache struct{ c *cache.Cache[resident] }

// newPlacementCache builds the memory-budgeted cache with the configured
// eviction policy.
func newPlacementCache(cfg Config, deps Deps, load loadFunc) (modelCache, error) {
	pol, err := newPolicy(cfg.Policy)
	if err != nil {
		return nil, err
	}
	cc := cache.DefaultConfig()
	cc.CapacityBytes = cfg.MemoryBudgetBytes
	cc.MaxConcurrentLoads = cfg.LoadConcurrency
	cc.LoadTimeout = cfg.LoadTimeout
	loader := cache.LoaderFunc[resident](func(ctx context.Context, key string) (resident, error) {
		m, err := load(ctx, key)
		return resident{m}, err
	})
	c, err := cache.New(cc, cache.Deps[resident]{Loader: loader, Policy: pol, Logger: deps.Logger, Registerer: deps.Registry})
	if err != nil {
		return nil, fmt.Errorf("node: cache: %w", err)
	}
	return placementCache{c}, nil
}

// newPolicy builds a registered policy over policyKeys keys.
func newPolicy(name string) (policy.Policy, error) {
	models := make([]policy.Entry, policyKeys)
	for i := range models {
		models[i] = policy.Entry{Key: policy.Key(i)}
	}
	p, err := policy.New(name, models)
	if err != nil {
		return nil, fmt.Errorf("node: cache policy: %w", err)
	}
	return boundedPolicy{p}, nil
}

// boundedPolicy keeps keys beyond policyKeys away from the inner policy;
// such models are never chosen as victims (they are unloaded explicitly or
// at shutdown), which is safe, never a crash.
type boundedPolicy struct{ policy.Policy }

func inRange(k policy.Key) bool { return k >= 0 && k < policyKeys }

func (p boundedPolicy) OnAccess(e policy.Entry, now time.Duration, hit bool) {
	if inRange(e.Key) {
		p.Policy.OnAccess(e, now, hit)
	}
}

func (p boundedPolicy) OnInsert(e policy.Entry, now time.Duration) {
	if inRange(e.Key) {
		p.Policy.OnInsert(e, now)
	}
}

func (p boundedPolicy) OnRemove(k policy.Key) {
	if inRange(k) {
		p.Policy.OnRemove(k)
	}
}

func (c placementCache) Acquire(ctx context.Context, key string, hint int64) (lease, error) {
	h, err := c.c.Acquire(ctx, key, cache.AcquireOptions{SizeHintBytes: hint})
	if err != nil {
		return nil, err
	}
	return handle{h}, nil
}

func (c placementCache) Pin(ctx context.Context, key string, hint int64) error {
	return c.c.Pin(ctx, key, cache.AcquireOptions{SizeHintBytes: hint})
}

func (c placementCache) Unload(key string) bool          { return c.c.Unload(key) }
func (c placementCache) Resident(key string) bool        { return c.c.Resident(key) }
func (c placementCache) Close(ctx context.Context) error { return c.c.Close(ctx) }

// handle adapts a cache handle to a lease.
type handle struct{ h *cache.Handle[resident] }

func (h handle) Model() runtime.Model { return h.h.Model().Model }
func (h handle) Release()             { h.h.Release() }
