package node

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgeserve/edgeserve/placement/cache"
	"github.com/edgeserve/edgeserve/placement/policy"
	"github.com/edgeserve/edgeserve/runtime"
	"github.com/edgeserve/edgeserve/runtime/ort"
)

// resident adapts a loaded runtime.Model to the cache: it is charged the
// memory the runtime measured for it.
type resident struct{ runtime.Model }

func (r resident) MemoryBytes() int64 { return r.Profile().MemoryBytes }

// MappedBytes is the file-backed memory (mapped weights) the runtime
// measured: reported, not charged.
func (r resident) MappedBytes() int64 { return r.Profile().MappedBytes }

// placementCache adapts placement/cache to the node's modelCache.
type placementCache struct{ c *cache.Cache[resident] }

// newPlacementCache builds the memory-budgeted cache with the configured
// eviction policy.
func newPlacementCache(cfg Config, deps Deps, load loadFunc) (modelCache, error) {
	cc := cache.DefaultConfig()
	pol, err := newPolicy(cfg.Cache.Policy, cc.MaxModels)
	if err != nil {
		return nil, err
	}
	cc.CapacityBytes = cfg.Cache.MemoryBudgetBytes
	cc.GPUCapacityBytes = cfg.Cache.GPUBudgetBytes // set from NVML at start on a GPU provider (gpu.go)
	cc.MaxConcurrentLoads = cfg.Cache.LoadConcurrency
	cc.LoadTimeout = cfg.Cache.LoadTimeout
	loader := cache.LoaderFunc[resident](func(ctx context.Context, key string) (resident, error) {
		m, err := load(ctx, key, cache.ForRequest(ctx))
		return resident{m}, err
	})
	c, err := cache.New(cc, cache.Deps[resident]{Loader: loader, Policy: pol, Logger: deps.Logger, Registerer: deps.Registry,
		ModelLabel: modelName, PageCached: deps.pageCached, HeldBytes: deps.heldBytes})
	if err != nil {
		return nil, fmt.Errorf("node: cache: %w", err)
	}
	return placementCache{c}, nil
}

// modelName is the model name of a cache key ("name:version"), the model
// label of the cache's per-model series, as of the node's own.
func modelName(key string) string {
	if i := strings.LastIndex(key, ":"); i >= 0 {
		return key[:i]
	}
	return key
}

// newPolicy builds a registered policy over the keys 0..n-1 that the cache
// hands out (one per model version it sees, at most its MaxModels). It is
// the serving form: a node must hold what it serves, so the policy never
// declines to make room (policy.NewServing).
func newPolicy(name string, n int) (policy.Policy, error) {
	models := make([]policy.Entry, n)
	for i := range models {
		models[i] = policy.Entry{Key: policy.Key(i)}
	}
	p, err := policy.NewServing(name, models)
	if err != nil {
		return nil, fmt.Errorf("node: cache policy: %w", err)
	}
	return p, nil
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

func (c placementCache) Preload(ctx context.Context, key string, opts cache.AcquireOptions) error {
	return c.c.Preload(ctx, key, opts)
}

func (c placementCache) SetHint(key string, weight float64) bool { return c.c.SetHint(key, weight) }
func (c placementCache) SetVictimPreference(cheap func(string, time.Duration) bool, idle time.Duration) {
	c.c.SetVictimPreference(cheap, idle)
}
func (c placementCache) SetSubstitute(key string, cost time.Duration) bool {
	return c.c.SetSubstitute(key, cost)
}
func (c placementCache) Unload(key string) bool               { return c.c.Unload(key) }
func (c placementCache) Resident(key string) bool             { return c.c.Resident(key) }
func (c placementCache) Facts(key string) (cache.Facts, bool) { return c.c.Facts(key) }
func (c placementCache) Close(ctx context.Context) error      { return c.c.Close(ctx) }

// Memory reads the cache's status as the node reports it.
func (c placementCache) Memory() memoryStatus {
	st := c.c.Status()
	m := memoryStatus{BudgetBytes: st.CapacityBytes, ChargedBytes: st.UsedBytes, MappedBytes: st.MappedBytes, HeldBytes: st.HeldBytes,
		Models: make([]modelMemory, 0, len(st.Models))}
	for _, ms := range st.Models {
		m.Models = append(m.Models, modelMemory{Model: ms.Name, State: ms.State, ChargedBytes: ms.Bytes, MappedBytes: ms.MappedBytes,
			LastUse: ms.LastUse, Pinned: ms.Pinned})
	}
	return m
}

// handle adapts a cache handle to a lease.
type handle struct{ h *cache.Handle[resident] }

func (h handle) Model() runtime.Model { return h.h.Model().Model }
func (h handle) Hit() bool            { return h.h.Hit() }
func (h handle) Release()             { h.h.Release() }

// pageCached is the share of a model version's prepared weights that the
// page cache holds, so that the policy knows a miss whose weights are
// still cached is cheaper; false when the node cannot tell (no prepared
// form, a loader without one).
func (n *Node) pageCached(key string) (float64, bool) {
	kl, ok := n.loader.(keyedLoader)
	if !ok {
		return 0, false
	}
	name, version, err := splitRef(key)
	if err != nil {
		return 0, false
	}
	rec, err := n.store.Get(context.Background(), name, strconv.FormatInt(version, 10))
	if err != nil {
		return 0, false
	}
	dir, err := n.store.ArtifactDir(rec.Digest, kl.ArtifactKey())
	if err != nil {
		return 0, false
	}
	share, err := ort.PageCachedShare(dir)
	return share, err == nil
}
