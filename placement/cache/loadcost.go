package cache

import "time"

// A model whose prepared weights are still in the page cache loads faster
// than one whose weights must be read from disk (docs/miss-path.md). With
// Deps.PageCached the cache notes at the start of each load how much of
// the model's weights the page cache holds, times a load started with at
// least half of them there as warm and one started with less as cold, and
// tells its policy the cost of a load at the share cached now: the warm
// time plus the uncached share of the difference to the cold time. Until
// it has timed both kinds, the missing one is the other times (or over)
// Config.ColdLoadFactor.

// pageCachedLocked is the share of name's weights in the page cache now,
// -1 when unknown or without Deps.PageCached.
func (c *Cache[M]) pageCachedLocked(name string) float64 {
	if c.deps.PageCached == nil {
		return -1
	}
	f, ok := c.deps.PageCached(name)
	if !ok || !(f >= 0) {
		return -1
	}
	return min(f, 1)
}

// recordLoad notes a load that took took, started with the share cached
// of the weights in the page cache (-1: unknown, noted as neither kind).
func (i *modelInfo) recordLoad(cached float64, took time.Duration) {
	switch {
	case cached < 0:
	case cached >= 0.5:
		i.warmLoad = took
	default:
		i.coldLoad = took
	}
}

// loadCost is the cost of loading the model with the share cached of its
// weights in the page cache (-1: unknown, taken as all): without
// Deps.PageCached, or before a load whose share was known, the last
// load's time.
func (c *Cache[M]) loadCost(info *modelInfo, cached float64) time.Duration {
	if c.deps.PageCached == nil || (info.warmLoad == 0 && info.coldLoad == 0) {
		return info.loadTime
	}
	if cached < 0 {
		cached = 1
	}
	factor := c.cfg.coldLoadFactor()
	warm, cold := info.warmLoad, info.coldLoad
	if warm == 0 {
		warm = time.Duration(float64(cold) / factor)
	}
	if cold == 0 {
		cold = time.Duration(float64(warm) * factor)
	}
	return warm + time.Duration((1-cached)*float64(max(cold-warm, 0)))
}
