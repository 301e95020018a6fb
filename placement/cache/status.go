package cache

import (
	"slices"
	"strings"
	"time"
)

// ModelStatus describes one model loaded or being loaded.
type ModelStatus struct {
	Name string
	// State is "queued", "waiting-for-room", "loading" or "loaded".
	State string
	// Bytes is the measured size once loaded, the reservation before;
	// GPUBytes likewise for GPU memory.
	Bytes    int64
	GPUBytes int64
	// HeldBytes is memory the runtime holds outside every charge
	// (Deps.HeldBytes), counted as used when a load is fitted.
	HeldBytes int64
	// MappedBytes is the file-backed memory a loaded model maps
	// (MappedResident), not charged.
	MappedBytes int64
	Refs        int
	Pinned      bool
	// LastUse is the last request's arrival.
	LastUse      time.Time
	Hits, Misses uint64
	// LoadTime is the wall time of the last successful load.
	LoadTime time.Duration
	LoadedAt time.Time
}

// Status is a point-in-time view of the cache.
type Status struct {
	CapacityBytes int64
	// GPUCapacityBytes is the GPU budget; 0 when none is enforced.
	GPUCapacityBytes int64
	// UsedBytes is charged memory: loaded models plus reservations of loads
	// and models being closed. It never exceeds CapacityBytes; UsedGPUBytes
	// likewise for GPU memory.
	UsedBytes    int64
	UsedGPUBytes int64
	// HeldBytes is memory the runtime holds outside every charge
	// (Deps.HeldBytes), counted as used when a load is fitted.
	HeldBytes int64
	// MappedBytes is the file-backed memory of the loaded models, outside
	// the budget: the page cache, which the kernel manages.
	MappedBytes int64
	// Models is sorted by name.
	Models []ModelStatus
}

// Status returns a snapshot of the cache.
func (c *Cache[M]) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{
		CapacityBytes: c.cfg.CapacityBytes, GPUCapacityBytes: c.cfg.GPUCapacityBytes,
		UsedBytes: c.used.host, UsedGPUBytes: c.used.gpu, HeldBytes: c.heldLocked(), Models: make([]ModelStatus, 0, len(c.entries)),
	}
	for _, e := range c.entries {
		var mapped int64
		if e.phase == phaseLoaded {
			mapped = mappedBytes(e.model)
		}
		s.MappedBytes += mapped
		s.Models = append(s.Models, ModelStatus{
			Name: e.name, State: e.phase.String(), Bytes: e.charged.host, GPUBytes: e.charged.gpu, MappedBytes: mapped,
			Refs: e.refs, Pinned: e.pinned,
			LastUse: e.info.lastUse, Hits: e.info.hits, Misses: e.info.misses,
			LoadTime: e.info.loadTime, LoadedAt: e.loadedAt,
		})
	}
	slices.SortFunc(s.Models, func(a, b ModelStatus) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// Facts is what the cache has learnt about a model, resident or not: what
// the router's cost model and preloading need to predict a miss.
type Facts struct {
	// MeasuredBytes and MeasuredGPUBytes are the last measured sizes; 0
	// when the model was never measured here.
	MeasuredBytes, MeasuredGPUBytes int64
	// LoadTime is the wall time of the last successful load.
	LoadTime     time.Duration
	Hits, Misses uint64
	LastUse      time.Time
	// Failures counts consecutive failed loads; RetryAt ends the back-off.
	Failures int
	RetryAt  time.Time
	// Resident says it is loaded here now, Loading that its load is queued
	// or in progress.
	Resident, Loading bool
}

// Facts returns what the cache knows about name; false if it never saw it.
func (c *Cache[M]) Facts(name string) (Facts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.known[name]
	if i == nil {
		return Facts{}, false
	}
	e := c.entries[name]
	return Facts{
		MeasuredBytes: i.measured.host, MeasuredGPUBytes: i.measured.gpu,
		LoadTime: i.loadTime, Hits: i.hits, Misses: i.misses, LastUse: i.lastUse,
		Failures: i.failures, RetryAt: i.retryAt, Resident: e != nil && e.phase == phaseLoaded,
		Loading: e != nil && e.phase != phaseLoaded,
	}, true
}
